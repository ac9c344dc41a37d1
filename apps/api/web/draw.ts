import { classColour, type Detection } from './detection-view.js';

/**
 * Draws the image scaled to `displayWidth` CSS pixels (small images are enlarged, large ones shrunk) with the
 * detections' boxes and "label score" tags on top. The canvas is sized in device pixels so lines and text stay
 * sharp and keep the same size whatever the image's resolution; boxes are in the image's original pixels.
 */
export function drawDetections(
  canvas: HTMLCanvasElement,
  image: HTMLImageElement,
  detections: Detection[],
  displayWidth: number,
): void {
  const dpr = window.devicePixelRatio || 1;
  const scale = displayWidth / image.naturalWidth;
  const cssW = displayWidth;
  const cssH = image.naturalHeight * scale;
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.drawImage(image, 0, 0, cssW, cssH);
  const font = 13;
  ctx.font = `${font}px sans-serif`;
  ctx.textBaseline = 'top';
  ctx.lineWidth = 2;
  for (const d of detections) {
    const [x1, y1, x2, y2] = [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => v * scale);
    const colour = classColour(d.label);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const tag = `${d.label} ${d.score.toFixed(2)}`;
    const tw = ctx.measureText(tag).width + 6;
    const th = font + 4;
    const ty = y1 - th >= 0 ? y1 - th : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1 - 1, ty, tw, th);
    ctx.fillStyle = '#fff';
    ctx.fillText(tag, x1 + 2, ty + 2);
  }
}
