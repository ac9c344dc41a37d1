import sharp from 'sharp';
import { escapeXml } from '@resdet/eval';
import type { Detection, RawImage } from './detection-types';

/** A fixed, colour-blind-friendly palette (Okabe–Ito + extras); class k always gets the same colour. */
const PALETTE = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#00D1FF',
  '#FF4D6D',
  '#7CFC00',
];

/**
 * An SVG the size of the image with one box per detection and a "label 0.97" tag above it (inside the
 * image when the box touches the top). Line width and font scale with the image.
 */
export function detectionsSvg(width: number, height: number, dets: readonly Detection[]): string {
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 250));
  const font = Math.max(9, Math.round(Math.min(width, height) / 40));
  const parts = dets.map((d) => {
    const colour = PALETTE[Math.abs(d.categoryId) % PALETTE.length];
    const { x1, y1, x2, y2 } = d.box;
    const text = `${escapeXml(d.label)} ${d.score.toFixed(2)}`;
    const tagW = Math.ceil(text.length * font * 0.6) + 4;
    const tagY = y1 - font - 2 >= 0 ? y1 - font - 2 : y1;
    // keep the tag inside the image when the box touches the right edge
    const tagX = Math.max(0, Math.min(x1, width - tagW));
    return (
      `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" shape-rendering="crispEdges" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<rect x="${tagX}" y="${tagY}" width="${tagW}" height="${font + 2}" fill="${colour}" fill-opacity="0.85"/>` +
      `<text x="${tagX + 2}" y="${tagY + font - 1}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" fill="#000">${text}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Output encoding chosen from the file name; unknown extensions get PNG. */
export function drawingFormat(fileName: string): 'jpeg' | 'png' | 'webp' {
  const ext = fileName.toLowerCase().split('.').pop();
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'webp') return 'webp';
  return 'png';
}

/** The decoded image with its detections drawn on it, encoded (JPEG/PNG/WebP). */
export async function drawDetections(
  image: RawImage,
  dets: readonly Detection[],
  format: 'jpeg' | 'png' | 'webp' = 'png',
): Promise<Buffer> {
  const svg = Buffer.from(detectionsSvg(image.width, image.height, dets));
  const img = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .composite([{ input: svg, top: 0, left: 0 }])
    .removeAlpha();
  if (format === 'jpeg') return img.jpeg({ quality: 90 }).toBuffer();
  if (format === 'webp') return img.webp({ quality: 90 }).toBuffer();
  return img.png().toBuffer();
}
