import sharp from 'sharp';
import { drawDetections, detectionsSvg, drawingFormat } from './draw-detections';

describe('drawDetections', () => {
  const image = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) };

  it('draws box edges in the class colour and leaves pixels far from boxes untouched', async () => {
    const png = await drawDetections(image, [
      { label: 'cat', categoryId: 0, score: 0.9, box: { x1: 20, y1: 20, x2: 50, y2: 40 } },
    ]);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) =>
      Array.from(
        data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
      );
    expect(px(2, 45)).toEqual([128, 128, 128]);
    expect(info.channels).toBe(3);
    // The bottom edge (y = 40, crisp 1-px stroke lands on row 39 or 40) is the class colour #E69F00.
    const edge = [px(35, 39), px(35, 40)].find((p) => p[0] > 200);
    expect(edge).toBeDefined();
    expect(edge![2]).toBeLessThan(60);
    expect(px(35, 30)).toEqual([128, 128, 128]); // inside the box: untouched
  });

  it('escapes label text and picks the encoding from the name', () => {
    expect(
      detectionsSvg(10, 10, [
        { label: '<x&y>', categoryId: 1, score: 1, box: { x1: 0, y1: 0, x2: 5, y2: 5 } },
      ]),
    ).toContain('&lt;x&amp;y&gt;');
    expect(drawingFormat('a/b.JPG')).toBe('jpeg');
    expect(drawingFormat('c.dat')).toBe('png');
  });
});
