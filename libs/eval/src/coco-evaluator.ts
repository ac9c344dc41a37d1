import { AccumulateScratch, accumulateCategory, CategoryDetections } from './accumulate-category';
import { AnnotationTable } from './annotation-table';
import { boxIou } from './box-iou';
import { CocoEvalParams, resolveCocoParams, uniqueSorted } from './coco-params';
import { GroundTruth } from './ground-truth';
import { groupRows } from './group-rows';
import { ImageMatchInput, matchImage, MatchScratch } from './match-image';

/**
 * The accumulated evaluation (pycocotools' `self.eval`): precision `[T, R, K, A, M]` and recall `[T, K, A, M]`
 * as flat C-order Float64Arrays, -1 where a setting has no non-ignored ground truth.
 */
export interface CocoAccumulation {
  /** Resolved params, with `imgIds` and `catIds` the sorted unique ids actually evaluated. */
  params: CocoEvalParams & { imgIds: number[]; catIds: number[] };
  /** [T, R, K, A, M]; K is 1 when `useCats` is false. */
  counts: [number, number, number, number, number];
  precision: Float64Array;
  recall: Float64Array;
}

/** Growable scratch for one category pass. */
class CategoryScratch implements CategoryDetections {
  n = 0;
  score = new Float64Array(0);
  rank = new Int32Array(0);
  flags = new Uint8Array(0);
  npig: Int32Array;
  constructor(A: number) {
    this.npig = new Int32Array(A);
  }
  reset(n: number, flagsLen: number): void {
    this.n = n;
    if (this.score.length < n) {
      this.score = new Float64Array(n);
      this.rank = new Int32Array(n);
    }
    if (this.flags.length < flagsLen) this.flags = new Uint8Array(flagsLen);
    this.npig.fill(0);
  }
}

/** Sorts `rows[0..n)` by descending score, stable (insertion sort for the short per-image lists). */
function sortRowsByScore(rows: Int32Array, n: number, score: Float64Array): void {
  if (n > 64) {
    const sorted = Array.from(rows.subarray(0, n)).sort((a, b) => score[b] - score[a]);
    rows.set(sorted);
    return;
  }
  for (let i = 1; i < n; i++) {
    const r = rows[i];
    const s = score[r];
    let j = i - 1;
    while (j >= 0 && score[rows[j]] < s) {
      rows[j + 1] = rows[j];
      j--;
    }
    rows[j + 1] = r;
  }
}

/**
 * Runs pycocotools' `evaluate()` + `accumulate()` for bbox results over typed tables, one category at a time so
 * memory stays at one category's detections × thresholds × area ranges (bytes), never per-pair objects.
 *
 * @param gt validated ground truth (see `loadGroundTruth`)
 * @param dt detections as `loadResults` produces them (ids 1-based, area w·h)
 */
export function accumulateCoco(
  gt: GroundTruth,
  dt: AnnotationTable,
  params?: Partial<CocoEvalParams>,
): CocoAccumulation {
  const p0 = resolveCocoParams(params);
  const imgIds = uniqueSorted(p0.imgIds ?? gt.imageIds);
  const catIds = uniqueSorted(p0.catIds ?? gt.categoryIds);
  const p = { ...p0, imgIds, catIds };
  const imgIndex = new Map<number, number>(imgIds.map((id, i) => [id, i]));
  const catIndex = new Map<number, number>(catIds.map((id, k) => [id, k]));
  const gtG = groupRows(gt.table, imgIndex, catIndex, p.useCats);
  const dtG = groupRows(dt, imgIndex, catIndex, p.useCats);

  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.useCats ? catIds.length : 1;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const I = imgIds.length;
  const maxDetLast = p.maxDets[M - 1];
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);

  const cat = new CategoryScratch(A);
  const acc = new AccumulateScratch();
  const ms = new MatchScratch();
  let dtRows = new Int32Array(16);
  let ious = new Float64Array(256);
  let gtArea = new Float64Array(16);
  let gtCrowd = new Uint8Array(16);
  let gtId = new Float64Array(16);
  let dtArea = new Float64Array(16);
  const inp: ImageMatchInput = {
    D: 0,
    G: 0,
    ious,
    gtArea,
    gtCrowd,
    gtId,
    dtArea,
    aMin: 0,
    aMax: 0,
    iouThrs: p.iouThrs,
  };

  for (let k = 0; k < K; k++) {
    let n = 0;
    for (let i = 0; i < I; i++) {
      const g = k * I + i;
      n += Math.min(dtG.offsets[g + 1] - dtG.offsets[g], maxDetLast);
    }
    cat.reset(n, A * T * n);
    let base = 0;
    for (let i = 0; i < I; i++) {
      const g = k * I + i;
      const g0 = gtG.offsets[g];
      const G = gtG.offsets[g + 1] - g0;
      const d0 = dtG.offsets[g];
      const nd = dtG.offsets[g + 1] - d0;
      if (G === 0 && nd === 0) continue;
      if (dtRows.length < nd) dtRows = new Int32Array(Math.max(nd, dtRows.length * 2));
      dtRows.set(dtG.rows.subarray(d0, d0 + nd));
      sortRowsByScore(dtRows, nd, dt.score);
      const D = Math.min(nd, maxDetLast);
      if (gtArea.length < G) {
        const sz = Math.max(G, gtArea.length * 2);
        gtArea = inp.gtArea = new Float64Array(sz);
        gtCrowd = inp.gtCrowd = new Uint8Array(sz);
        gtId = inp.gtId = new Float64Array(sz);
      }
      if (dtArea.length < D) dtArea = inp.dtArea = new Float64Array(Math.max(D, dtArea.length * 2));
      for (let j = 0; j < G; j++) {
        const r = gtG.rows[g0 + j];
        gtArea[j] = gt.table.area[r];
        gtCrowd[j] = gt.table.crowd[r];
        gtId[j] = gt.table.id[r];
      }
      for (let d = 0; d < D; d++) {
        const r = dtRows[d];
        dtArea[d] = dt.area[r];
        cat.score[base + d] = dt.score[r];
        cat.rank[base + d] = d;
      }
      if (D > 0 && G > 0) {
        if (ious.length < D * G) ious = inp.ious = new Float64Array(Math.max(D * G, ious.length * 2));
        boxIou(dt.box, dtRows, D, gt.table.box, gtG.rows.subarray(g0, g0 + G), G, gt.table.crowd, ious);
      }
      inp.D = D;
      inp.G = G;
      for (let a = 0; a < A; a++) {
        inp.aMin = p.areaRng[a][0];
        inp.aMax = p.areaRng[a][1];
        cat.npig[a] += matchImage(inp, ms, cat.flags, a * T * n + base, n);
      }
      base += D;
    }
    accumulateCategory(cat, T, p.recThrs, p.maxDets, A, { precision, recall, k, K }, acc);
  }
  return { params: p, counts: [T, R, K, A, M], precision, recall };
}
