import { bfloat16ToFloat32, float32ToBfloat16, float32ToHalf, halfToFloat32 } from './half';

describe('half / bfloat16 conversions', () => {
  it('decodes hand-worked float16 bit patterns', () => {
    const bits = Uint16Array.from([
      0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x3555,
    ]);
    const f = halfToFloat32(bits);
    expect(Array.from(f.slice(0, 9))).toEqual([0, -0, 1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity]);
    expect(f[9]).toBe(Math.fround(0.333251953125));
    expect(halfToFloat32(Uint16Array.from([0x7e00]))[0]).toBeNaN();
  });

  it('round-trips every finite half exactly and rounds ties to even', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const f = halfToFloat32(all);
    const back = float32ToHalf(f);
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(f[i])) expect(back[i] & 0x7c00).toBe(0x7c00);
      else expect(back[i]).toBe(i);
    }
    // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties to even → 1. 1 + 3·2^-11 → 1 + 2^-9.
    expect(
      Array.from(float32ToHalf(Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -26]))),
    ).toEqual([0x3c00, 0x3c02, 0x7c00, 0x0000]);
    expect(float32ToHalf(Float32Array.from([2 ** -25 * 3]))[0]).toBe(0x0002); // 1.5 ulp of subnormal → 2 (even)
  });

  it('decodes and rounds bfloat16', () => {
    expect(Array.from(bfloat16ToFloat32(Uint16Array.from([0x3f80, 0xc040, 0x0000])))).toEqual([1, -3, 0]);
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even → 1; 1 + 3·2^-8 → 1 + 2^-6.
    expect(Array.from(float32ToBfloat16(Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN])))).toEqual([
      0x3f80, 0x3f82, 0x7fc0,
    ]);
  });
});
