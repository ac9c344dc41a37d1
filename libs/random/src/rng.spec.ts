import { Rng } from './rng';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(xs).toEqual(Array.from({ length: 5 }, () => b.uniform()));
    expect(xs).not.toEqual(Array.from({ length: 5 }, () => c.uniform()));
  });

  it('gives normals with mean ≈ 0 and std ≈ 1 (n = 20000, tolerance 0.03)', () => {
    const v = new Rng(1).normalArray(20000);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });

  it('permutes and restores its state', () => {
    const r = new Rng(3);
    expect(r.permutation(10).sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    const s = r.getState();
    const x = r.uniform();
    r.setState(s);
    expect(r.uniform()).toBe(x);
  });
});
