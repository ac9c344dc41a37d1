import { RgbCanvas } from './rgb-canvas';

describe('RgbCanvas', () => {
  it('fills an axis-aligned square on pixel edges exactly, and returns its tight box', () => {
    const c = new RgbCanvas(8, 6);
    c.fill([0, 0, 0]);
    const box = c.fillPolygon([2, 1, 5, 1, 5, 4, 2, 4], () => [255, 128, 0]);
    expect(box).toEqual([2, 1, 5, 4]);
    const img = c.toImage();
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) {
        const inside = x >= 2 && x < 5 && y >= 1 && y < 4;
        expect(Array.from(img.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3))).toEqual(
          inside ? [255, 128, 0] : [0, 0, 0],
        );
      }
    }
  });

  it('anti-aliases a half-covered pixel column and leaves it out of the box only when covered less than half', () => {
    const c = new RgbCanvas(4, 2);
    c.fill([0, 0, 0]);
    // x from 1 to 2.4: column 1 fully covered, column 2 covered 0.4 (≈ 1/3 of the 3 samples per row)
    const box = c.fillPolygon([1, 0, 2.4, 0, 2.4, 2, 1, 2], () => [90, 90, 90]);
    expect(box).toEqual([1, 0, 2, 2]);
    expect(c.data[3 * 1]).toBe(90);
    expect(c.data[3 * 2]).toBeCloseTo(30, 5);
    expect(c.data[3 * 3]).toBe(0);
  });

  it('returns undefined for a polygon outside the canvas', () => {
    expect(new RgbCanvas(4, 4).fillPolygon([10, 10, 12, 10, 12, 12], () => [1, 1, 1])).toBeUndefined();
  });

  it('rounds and clamps to uint8', () => {
    const c = new RgbCanvas(1, 1);
    c.fill([-5, 127.5, 300]);
    expect(Array.from(c.toImage().data)).toEqual([0, 128, 255]);
  });
});
