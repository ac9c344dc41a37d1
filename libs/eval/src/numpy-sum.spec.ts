import { numpyMean, numpySum } from './numpy-sum';

describe('numpySum', () => {
  const seq = (n: number): number[] => Array.from({ length: n }, (_, i) => (i % 97) / 13 + i / 7);

  // reference: numpy 1.24.2 np.array(seq(n)).sum() / .mean(), printed with repr
  it.each([
    [7, 4.615384615384616, 0.6593406593406594],
    [129, 1575.736263736264, 12.215009796405147],
    [8192, 4823062.835164836, 588.7527874957075],
    [20000, 28643791.46153846, 1432.189573076923],
  ])('matches numpy for %i values', (n, sum, mean) => {
    expect(numpySum(seq(n))).toBe(sum);
    expect(numpyMean(seq(n))).toBe(mean);
  });

  it('differs from a left-to-right sum where numpy does (pairwise order matters)', () => {
    const naive = seq(8192).reduce((s, v) => s + v, 0);
    expect(naive).toBe(4823062.8351648385);
    expect(numpySum(seq(8192))).not.toBe(naive);
  });

  it('is 0 for an empty array and its mean is NaN', () => {
    expect(numpySum([])).toBe(0);
    expect(numpyMean([])).toBeNaN();
  });
});
