import { Rng } from '@resdet/random';
import {
  augment,
  chooseShortSide,
  hflipBoxes,
  hflipImage,
  photometricJitter,
  scaleBoxes,
} from './augmentation';
import type { RgbImage } from './image-io';

/** A black w×h image with the pixels of each `xyxy` integer box painted (255, 0, 0). */
function paint(w: number, h: number, boxes: number[]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < boxes.length; i += 4) {
    for (let y = boxes[i + 1]; y < boxes[i + 3]; y++)
      for (let x = boxes[i]; x < boxes[i + 2]; x++) data[(y * w + x) * 3] = 255;
  }
  return { data, width: w, height: h };
}

describe('augmentation', () => {
  it('flips boxes as torchvision: x1 = W - x2, x2 = W - x1 (hand case)', () => {
    expect(Array.from(hflipBoxes(Float32Array.from([0, 1, 3, 4, 7, 0, 10, 2]), 10))).toEqual([
      7, 1, 10, 4, 0, 0, 3, 2,
    ]);
  });

  it('moves the boxes with the pixels: the flipped image is painted exactly inside the flipped boxes', () => {
    const boxes = [1, 2, 4, 5, 8, 0, 11, 3];
    const img = paint(11, 6, boxes);
    const flipped = hflipImage(img);
    const fb = Array.from(hflipBoxes(Float32Array.from(boxes), 11));
    expect(Buffer.from(flipped.data).equals(Buffer.from(paint(11, 6, fb).data))).toBe(true);
    expect(Buffer.from(hflipImage(flipped).data).equals(Buffer.from(img.data))).toBe(true);
  });

  it('scales boxes per axis', () => {
    expect(Array.from(scaleBoxes(Float32Array.from([2, 4, 6, 8]), 0.5, 2))).toEqual([1, 8, 3, 16]);
  });

  it('augment flips image and boxes together, deterministically for the seed', () => {
    const boxes = Float32Array.from([1, 1, 3, 2]);
    const img = paint(6, 4, [1, 1, 3, 2]);
    let flips = 0;
    for (let s = 0; s < 40; s++) {
      const a = augment(img, boxes, new Rng(s), { hflipProb: 0.5, shortSides: [96, 128, 160] });
      const b = augment(img, boxes, new Rng(s), { hflipProb: 0.5, shortSides: [96, 128, 160] });
      expect([a.flipped, a.shortSide, Array.from(a.boxes)]).toEqual([
        b.flipped,
        b.shortSide,
        Array.from(b.boxes),
      ]);
      expect([96, 128, 160]).toContain(a.shortSide);
      expect(Buffer.from(a.image.data).equals(Buffer.from(paint(6, 4, Array.from(a.boxes)).data))).toBe(true);
      if (a.flipped) flips++;
    }
    expect(flips).toBeGreaterThan(10);
    expect(flips).toBeLessThan(30);
    expect(augment(img, boxes, new Rng(1), { hflipProb: 0 }).flipped).toBe(false);
    expect(augment(img, boxes, new Rng(1), { hflipProb: 1 }).flipped).toBe(true);
  });

  it('chooses every short side with roughly equal frequency', () => {
    const rng = new Rng(3);
    const counts = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const s = chooseShortSide(rng, [480, 512, 544]);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(100);
    expect(() => chooseShortSide(rng, [])).toThrow(RangeError);
  });

  it('photometric jitter: identity at zero strength, brightness scales pixels, stays in uint8 range', () => {
    const img: RgbImage = { data: Uint8Array.from([10, 100, 200, 50, 60, 70]), width: 2, height: 1 };
    expect(
      Array.from(photometricJitter(img, new Rng(1), { brightness: 0, contrast: 0, saturation: 0 }).data),
    ).toEqual(Array.from(img.data));
    const b = photometricJitter(img, new Rng(2), { brightness: 0.5, contrast: 0, saturation: 0 });
    const f = b.data[1] / 100;
    expect(f).toBeGreaterThanOrEqual(0.5);
    expect(f).toBeLessThanOrEqual(1.5);
    for (let i = 0; i < 6; i++)
      expect(Math.abs(b.data[i] - Math.min(255, img.data[i] * f))).toBeLessThanOrEqual(1.5);
    // saturation 0 → grey: factor drawn from [0, 2]; a grey pixel stays grey whatever happens
    const grey: RgbImage = { data: Uint8Array.from([90, 90, 90]), width: 1, height: 1 };
    const g = photometricJitter(grey, new Rng(4), { brightness: 0, contrast: 0.9, saturation: 0.9 });
    expect(g.data[0]).toBe(g.data[1]);
    expect(g.data[1]).toBe(g.data[2]);
  });
});
