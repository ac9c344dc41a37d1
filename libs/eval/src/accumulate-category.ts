import { FLAG_IGNORED, FLAG_MATCHED } from './match-image';

/**
 * One category's evaluated detections, concatenated over images in image order and, inside an image, in score
 * order (pycocotools' `np.concatenate([e['dtScores'] for e in E])`), with the matching flags per area range and
 * IoU threshold.
 */
export interface CategoryDetections {
  /** N: number of detections (each image's already truncated to the largest maxDet). */
  n: number;
  score: Float64Array;
  /** Position of the detection inside its image's score order (0 = best); `rank < maxDet` keeps it. */
  rank: Int32Array;
  /** `flags[(a * T + t) * n + j]`: FLAG_MATCHED | FLAG_IGNORED. */
  flags: Uint8Array;
  /** Non-ignored ground truths per area range. */
  npig: Int32Array;
}

/** Where to write: the output arrays and this category's index in them. */
export interface AccumulateTarget {
  /** `[T, R, K, A, M]` C order, pre-filled with -1. */
  precision: Float64Array;
  /** `[T, K, A, M]` C order, pre-filled with -1. */
  recall: Float64Array;
  k: number;
  K: number;
}

/** Scratch arrays for one accumulate pass, grown on demand. */
export class AccumulateScratch {
  perm = new Int32Array(0);
  sel = new Int32Array(0);
  pr = new Float64Array(0);
  rc = new Float64Array(0);

  ensure(n: number): void {
    if (this.pr.length < n) {
      this.perm = new Int32Array(n);
      this.sel = new Int32Array(n);
      this.pr = new Float64Array(n);
      this.rc = new Float64Array(n);
    }
  }
}

/** np.spacing(1): the eps pycocotools adds to tp + fp. */
const EPS = 2.220446049250313e-16;

/**
 * Stable descending order by score (np.argsort(-scores, kind='mergesort')): ties keep concatenation order.
 */
export function stableOrderByScoreDesc(score: Float64Array, n: number, out?: Int32Array): Int32Array {
  const perm = out && out.length >= n ? out.subarray(0, n) : new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  perm.sort((a, b) => score[b] - score[a] || a - b);
  return perm;
}

/**
 * pycocotools' `accumulate` for one category: for every area range a and maxDet m (with at least one non-ignored
 * gt), concatenates each image's first maxDet detections, sorts them by score (stable), takes cumulative
 * TP/FP (ignored detections are neither), recall `tp / npig`, precision `tp / (tp + fp + eps)`, makes precision
 * monotone from the right, and samples it at the recall thresholds with `searchsorted(side='left')` (0 past the
 * end). Recall is the last recall value, or 0 with no detections.
 *
 * Ignored detections are skipped rather than kept as repeated points: a repeated point has the rc and pr of the
 * point before it (or 0 and 0 before any counted detection), so it changes neither the right-to-left maximum nor
 * which value `searchsorted` picks, and the numbers are bit-identical to pycocotools'.
 */
export function accumulateCategory(
  c: CategoryDetections,
  iouThrsCount: number,
  recThrs: ArrayLike<number>,
  maxDets: readonly number[],
  numAreas: number,
  target: AccumulateTarget,
  s: AccumulateScratch,
): void {
  const T = iouThrsCount;
  const R = recThrs.length;
  const A = numAreas;
  const M = maxDets.length;
  const { precision, recall, k, K } = target;
  const N = c.n;
  s.ensure(N);
  const perm = stableOrderByScoreDesc(c.score, N, s.perm);
  const sel = s.sel;
  const pr = s.pr;
  const rc = s.rc;
  const flags = c.flags;
  let prevLen = -1;
  for (let m = 0; m < M; m++) {
    // detections kept at this maxDet, in global score order
    const maxDet = maxDets[m];
    let len = 0;
    for (let j = 0; j < N; j++) {
      const q = perm[j];
      if (c.rank[q] < maxDet) sel[len++] = q;
    }
    const same = len === prevLen; // a subset of the previous selection with the same size is the same selection
    prevLen = len;
    for (let a = 0; a < A; a++) {
      const npig = c.npig[a];
      if (npig === 0) continue;
      for (let t = 0; t < T; t++) {
        const ri = ((t * K + k) * A + a) * M + m;
        if (same) {
          recall[ri] = recall[ri - 1];
          for (let r = 0; r < R; r++) {
            const pi = (((t * R + r) * K + k) * A + a) * M + m;
            precision[pi] = precision[pi - 1];
          }
          continue;
        }
        const fbase = (a * T + t) * N;
        let tp = 0;
        let fp = 0;
        let nd = 0;
        for (let j = 0; j < len; j++) {
          const f = flags[fbase + sel[j]];
          if (f & FLAG_IGNORED) continue;
          if (f & FLAG_MATCHED) tp++;
          else fp++;
          rc[nd] = tp / npig;
          pr[nd] = tp / (fp + tp + EPS);
          nd++;
        }
        recall[ri] = nd ? rc[nd - 1] : 0;
        for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        // searchsorted(rc, recThrs, side='left'): first i with rc[i] >= thr; past the end stays 0
        let i = 0;
        for (let r = 0; r < R; r++) {
          const thr = recThrs[r];
          while (i < nd && rc[i] < thr) i++;
          precision[(((t * R + r) * K + k) * A + a) * M + m] = i < nd ? pr[i] : 0;
        }
      }
    }
  }
}
