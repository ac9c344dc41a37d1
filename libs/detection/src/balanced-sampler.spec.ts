import { Rng } from '@resdet/random';
import { BalancedPositiveNegativeSampler } from './balanced-sampler';

describe('BalancedPositiveNegativeSampler', () => {
  const labels = Int32Array.from([1, 0, -1, 2, 0, 0, 3, -2, 0, 1, 0, 0]); // pos: 0,3,6,9  neg: 1,4,5,8,10,11

  const idx = (mask: Uint8Array): number[] => Array.from(mask).flatMap((v, i) => (v ? [i] : []));

  it("'first' mode takes candidates in index order (torchvision with randperm → arange)", () => {
    const s = new BalancedPositiveNegativeSampler(6, 0.5, null, 'first');
    const [[pos], [neg]] = s.sample([labels]);
    expect(idx(pos)).toEqual([0, 3, 6]);
    expect(idx(neg)).toEqual([1, 4, 5]);
  });

  it('fills with negatives when positives run short, and caps at what exists', () => {
    const s = new BalancedPositiveNegativeSampler(8, 0.75, null, 'first');
    const [[pos], [neg]] = s.sample([labels]); // numPos = min(4, 6) = 4, numNeg = min(6, 4) = 4
    expect(idx(pos)).toEqual([0, 3, 6, 9]);
    expect(idx(neg)).toEqual([1, 4, 5, 8]);
    const all = new BalancedPositiveNegativeSampler(100, 0.5, null, 'first').sample([labels]);
    expect(idx(all[0][0]).length + idx(all[1][0]).length).toBe(10); // ignored (-1, -2) never sampled
  });

  it('random mode draws the right counts from the seeded Rng, reproducibly', () => {
    const draw = (seed: number) =>
      new BalancedPositiveNegativeSampler(4, 0.25, new Rng(seed)).sample([labels, labels]);
    const [pos, neg] = draw(7);
    for (let i = 0; i < 2; i++) {
      expect(idx(pos[i]).length).toBe(1);
      expect(idx(neg[i]).length).toBe(3);
      expect(idx(pos[i]).every((j) => labels[j] >= 1)).toBe(true);
      expect(idx(neg[i]).every((j) => labels[j] === 0)).toBe(true);
    }
    expect(draw(7)).toEqual([pos, neg]);
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) seen.add(idx(draw(seed)[1][0]).join(','));
    expect(seen.size).toBeGreaterThan(5);
  });

  it('validates its arguments', () => {
    expect(() => new BalancedPositiveNegativeSampler(0, 0.5, null, 'first')).toThrow(/positive integer/);
    expect(() => new BalancedPositiveNegativeSampler(4, 0.5, null)).toThrow(/needs an Rng/);
  });
});
