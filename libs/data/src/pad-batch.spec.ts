import { padBatch } from './pad-batch';

describe('padBatch', () => {
  it('places each image top-left in a batch rounded up to the divisor (hand case)', () => {
    const a = { data: Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i + 1), width: 3, height: 2 };
    const b = { data: Uint8Array.from({ length: 3 * 1 * 3 }, () => 200), width: 1, height: 3 };
    const p = padBatch([a, b], 2);
    expect([p.batch, p.height, p.width, p.sizes]).toEqual([
      2,
      4,
      4,
      [
        [2, 3],
        [3, 1],
      ],
    ]);
    const px = (n: number, y: number, x: number) =>
      Array.from(p.data.subarray(((n * 4 + y) * 4 + x) * 3, ((n * 4 + y) * 4 + x) * 3 + 3));
    expect(px(0, 0, 0)).toEqual([1, 2, 3]);
    expect(px(0, 1, 2)).toEqual([16, 17, 18]);
    expect(px(0, 1, 3)).toEqual([0, 0, 0]);
    expect(px(0, 2, 0)).toEqual([0, 0, 0]);
    expect(px(1, 2, 0)).toEqual([200, 200, 200]);
    expect(px(1, 0, 1)).toEqual([0, 0, 0]);
    expect(padBatch([a], 32).height).toBe(32);
    expect(() => padBatch([])).toThrow(RangeError);
  });
});
