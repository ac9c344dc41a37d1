import { CocoAccumulation } from './coco-evaluator';
import { numpyMean } from './numpy-sum';

/** AP of one category: area 'all', maxDets 100 (or the largest when 100 is not among them). -1: no ground truth. */
export interface CategoryAp {
  catId: number;
  name: string;
  /** AP@[.5:.95]: mean of `precision[:, :, k, all, 100]` over entries > -1. */
  ap: number;
  /** AP at IoU 0.5 (`precision[t=0.5, :, k, all, 100]`); -1 when 0.5 is not an IoU threshold. */
  ap50: number;
  /** AP at IoU 0.75; -1 when 0.75 is not an IoU threshold. */
  ap75: number;
}

function meanAbove(acc: CocoAccumulation, k: number, ts: number[], a: number, m: number): number {
  const [, R, K, A, M] = acc.counts;
  const vals: number[] = [];
  for (const t of ts) {
    for (let r = 0; r < R; r++) {
      const v = acc.precision[(((t * R + r) * K + k) * A + a) * M + m];
      if (v > -1) vals.push(v);
    }
  }
  return vals.length ? numpyMean(vals) : -1;
}

/**
 * Per-category AP from the accumulated precision, as the usual per-class table does with pycocotools
 * (`np.mean(p[p > -1])` for `p = precision[:, :, k, 0, -1]`).
 * @param names category id → display name
 */
export function perCategoryAp(acc: CocoAccumulation, names?: ReadonlyMap<number, string>): CategoryAp[] {
  const p = acc.params;
  const [T, , K] = acc.counts;
  const a = Math.max(0, p.areaRngLbl.indexOf('all'));
  const m100 = p.maxDets.indexOf(100);
  const m = m100 >= 0 ? m100 : p.maxDets.length - 1;
  const all = Array.from({ length: T }, (_, t) => t);
  const at = (thr: number): number[] => all.filter((t) => p.iouThrs[t] === thr);
  const ids = p.useCats ? p.catIds : [-1];
  const out: CategoryAp[] = [];
  for (let k = 0; k < K; k++) {
    const t50 = at(0.5);
    const t75 = at(0.75);
    out.push({
      catId: ids[k],
      name: names?.get(ids[k]) ?? String(ids[k]),
      ap: meanAbove(acc, k, all, a, m),
      ap50: t50.length ? meanAbove(acc, k, t50, a, m) : -1,
      ap75: t75.length ? meanAbove(acc, k, t75, a, m) : -1,
    });
  }
  return out;
}
