/**
 * Largest absolute elementwise difference of two equally long arrays — the one comparison the parity specs
 * share. A NaN anywhere gives Infinity, so a broken result never passes a `toBeLessThan` bound; a length
 * mismatch throws.
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
