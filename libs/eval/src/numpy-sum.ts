/** numpy's unrolled/pairwise float64 summation block size (`PW_BLOCKSIZE`). */
const PW_BLOCKSIZE = 128;
/** numpy's default ufunc buffer size: a reduction over a long 1-D array is pairwise within 8192-element chunks. */
const UFUNC_BUFSIZE = 8192;

function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[start],
      r1 = a[start + 1],
      r2 = a[start + 2],
      r3 = a[start + 3],
      r4 = a[start + 4],
      r5 = a[start + 5],
      r6 = a[start + 6],
      r7 = a[start + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * `np.sum` of a 1-D float64 array, reproducing numpy's order of additions (8-way unrolled pairwise summation
 * inside 8192-element buffer chunks, starting from 0), so that means of the same values agree with numpy to the
 * last bit in the usual case rather than to ~1e-16 relative.
 */
export function numpySum(a: ArrayLike<number>): number {
  let res = 0;
  for (let s = 0; s < a.length; s += UFUNC_BUFSIZE)
    res += pairwiseSum(a, s, Math.min(UFUNC_BUFSIZE, a.length - s));
  return res;
}

/** `np.mean` of a 1-D float64 array (sum as numpy does it, divided by the count); NaN when empty. */
export function numpyMean(a: ArrayLike<number>): number {
  return numpySum(a) / a.length;
}
