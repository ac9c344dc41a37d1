/**
 * Inputs of one `evaluateImg(imgId, catId, aRng, maxDet)` call in typed form. Detections are already sorted
 * by score (stable, descending) and truncated to maxDet; ground truth is in the group's input order.
 */
export interface ImageMatchInput {
  /** Number of detections D (after truncation). */
  D: number;
  /** Number of ground-truth boxes G. */
  G: number;
  /** IoU `[D, G]` row-major, columns in input gt order; unused when D or G is 0. */
  ious: Float64Array;
  /** Per gt (input order): annotation `area`. */
  gtArea: Float64Array;
  /** Per gt (input order): 1 for crowd. */
  gtCrowd: Uint8Array;
  /** Per gt (input order): annotation id (a match to id 0 counts as no match, as in pycocotools). */
  gtId: Float64Array;
  /** Per detection (sorted order): w·h. */
  dtArea: Float64Array;
  /** Area range, inclusive. */
  aMin: number;
  aMax: number;
  iouThrs: ArrayLike<number>;
}

/** Scratch buffers reused across calls; grow on demand. One per evaluation, never shared between threads. */
export class MatchScratch {
  gtOrder = new Int32Array(16);
  gtIg = new Uint8Array(16);
  gtMatched = new Uint8Array(16);

  ensure(G: number): void {
    if (this.gtOrder.length < G) {
      const n = Math.max(G, this.gtOrder.length * 2);
      this.gtOrder = new Int32Array(n);
      this.gtIg = new Uint8Array(n);
      this.gtMatched = new Uint8Array(n);
    }
  }
}

/** Bit set in a detection's flag when it matched a ground truth (pycocotools' `dtMatches != 0`). */
export const FLAG_MATCHED = 1;
/** Bit set in a detection's flag when it is ignored (`dtIgnore`). */
export const FLAG_IGNORED = 2;

/**
 * pycocotools' `evaluateImg` for one image × category × area range: greedy matching per IoU threshold in
 * score order, each detection taking the best still-free gt with IoU ≥ min(t, 1 − 1e-10) (crowd gts may be
 * reused), preferring non-ignored gts (they are sorted first, and a match to one stops the scan at the first
 * ignored gt). A detection matched to an ignored gt is ignored; an unmatched detection outside the area range is
 * ignored.
 *
 * @param out receives, for threshold t and detection d, `FLAG_MATCHED | FLAG_IGNORED` bits at
 *   `out[outBase + t * outStride + d]`
 * @returns the number of non-ignored gts (this image's share of `npig`)
 */
export function matchImage(
  inp: ImageMatchInput,
  s: MatchScratch,
  out: Uint8Array,
  outBase: number,
  outStride: number,
): number {
  const { D, G, ious, gtArea, gtCrowd, gtId, dtArea, aMin, aMax, iouThrs } = inp;
  s.ensure(G);
  const order = s.gtOrder;
  const ig = s.gtIg;
  const taken = s.gtMatched;
  // gt ignore flags, then a stable sort putting ignored last (np.argsort(kind='mergesort') on 0/1)
  let npig = 0;
  for (let g = 0; g < G; g++) {
    const a = gtArea[g];
    if (!gtCrowd[g] && !(a < aMin || a > aMax)) order[npig++] = g;
  }
  let p = npig;
  for (let g = 0; g < G; g++) {
    const a = gtArea[g];
    if (gtCrowd[g] || a < aMin || a > aMax) order[p++] = g;
  }
  for (let j = 0; j < G; j++) ig[j] = j < npig ? 0 : 1;

  const T = iouThrs.length;
  for (let t = 0; t < T; t++) {
    const row = outBase + t * outStride;
    for (let j = 0; j < G; j++) taken[j] = 0;
    const thr = Math.min(iouThrs[t], 1 - 1e-10);
    for (let d = 0; d < D; d++) {
      let best = thr;
      let m = -1;
      if (G > 0) {
        const base = d * G;
        for (let j = 0; j < G; j++) {
          const g = order[j];
          if (taken[j] && !gtCrowd[g]) continue;
          if (m > -1 && ig[m] === 0 && ig[j] === 1) break;
          const v = ious[base + g];
          if (v < best) continue;
          best = v;
          m = j;
        }
      }
      let flag = 0;
      if (m !== -1) {
        const id = gtId[order[m]];
        taken[m] = 1;
        if (ig[m]) flag |= FLAG_IGNORED;
        if (id !== 0) flag |= FLAG_MATCHED;
      }
      if (!(flag & FLAG_MATCHED)) {
        const a = dtArea[d];
        if (a < aMin || a > aMax) flag |= FLAG_IGNORED;
      }
      out[row + d] = flag;
    }
  }
  return npig;
}
