/**
 * `numpy.linspace(start, stop, num, endpoint=True)` with numpy's exact float64 arithmetic: element i is
 * `i * step + start` with `step = (stop - start) / (num - 1)`, and the last element is `stop` itself. This is
 * not `start + i * (stop - start) / (num - 1)` and not `i / 100`; the difference shows in the last bit, and
 * pycocotools compares thresholds with `==` (`np.where(iouThr == p.iouThrs)`), so the bits matter.
 *
 * @returns a new Float64Array of length `num`.
 * @example
 * linspace(0.5, 0.95, 10); // pycocotools' iouThrs: [0.5, 0.55, 0.6000000000000001, ...]
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  if (!Number.isInteger(num) || num < 0)
    throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
  const out = new Float64Array(num);
  const div = num - 1;
  const delta = stop - start;
  if (div > 0) {
    const step = delta / div;
    if (step === 0) {
      for (let i = 0; i < num; i++) out[i] = (i / div) * delta + start;
    } else {
      for (let i = 0; i < num; i++) out[i] = i * step + start;
    }
  } else {
    for (let i = 0; i < num; i++) out[i] = i * delta + start;
  }
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * The number of points pycocotools asks linspace for: `int(np.round((stop - start) / step)) + 1`.
 * numpy rounds half to even; the inputs used here are never at .5, so `Math.round` agrees.
 */
export function linspaceCount(start: number, stop: number, step: number): number {
  const q = (stop - start) / step;
  const r = Math.round(q);
  // numpy's round is round-half-to-even
  const even = Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : r;
  return even + 1;
}
