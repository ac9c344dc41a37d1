import { EvalError } from './eval-error';
import { linspace, linspaceCount } from './linspace';

/**
 * pycocotools' `Params` for `iouType='bbox'`. Arrays are plain numbers; `imgIds`/`catIds` left undefined mean
 * "all images / all categories of the ground truth", as in `COCOeval.__init__`.
 */
export interface CocoEvalParams {
  /** Image ids to evaluate (default: every image of the ground truth). */
  imgIds?: readonly number[];
  /** Category ids to evaluate (default: every category of the ground truth). */
  catIds?: readonly number[];
  /** IoU thresholds T (default `np.linspace(.5, .95, 10)`). */
  iouThrs: readonly number[];
  /** Recall thresholds R (default `np.linspace(0, 1, 101)`). */
  recThrs: readonly number[];
  /** Max detections per image M, sorted ascending at evaluation (default 1, 10, 100). */
  maxDets: readonly number[];
  /** Area ranges A as `[min, max]`, both inclusive, on the ground truth's `area` field and the detection's w·h. */
  areaRng: readonly (readonly [number, number])[];
  /** A label per area range; summarize looks up 'all', 'small', 'medium', 'large'. */
  areaRngLbl: readonly string[];
  /** false pools all categories per image (proposal scoring). */
  useCats: boolean;
}

/** pycocotools' defaults for bbox evaluation, computed with numpy's linspace arithmetic. */
export const COCO_EVAL_DEFAULTS: Readonly<CocoEvalParams> = Object.freeze({
  iouThrs: Object.freeze(Array.from(linspace(0.5, 0.95, linspaceCount(0.5, 0.95, 0.05)))),
  recThrs: Object.freeze(Array.from(linspace(0.0, 1.0, linspaceCount(0.0, 1.0, 0.01)))),
  maxDets: Object.freeze([1, 10, 100]),
  areaRng: Object.freeze([
    Object.freeze([0 ** 2, 1e5 ** 2] as [number, number]),
    Object.freeze([0 ** 2, 32 ** 2] as [number, number]),
    Object.freeze([32 ** 2, 96 ** 2] as [number, number]),
    Object.freeze([96 ** 2, 1e5 ** 2] as [number, number]),
  ]),
  areaRngLbl: Object.freeze(['all', 'small', 'medium', 'large']),
  useCats: true,
});

/** Sorted unique copy, like `list(np.unique(x))`. */
export function uniqueSorted(xs: readonly number[]): number[] {
  const s = Array.from(new Set(xs));
  s.sort((a, b) => a - b);
  return s;
}

/**
 * Fills defaults, validates, and returns a new params object (the input is not changed). maxDets come back
 * sorted, as `evaluate()` sorts them.
 */
export function resolveCocoParams(p: Partial<CocoEvalParams> = {}): CocoEvalParams {
  const r: CocoEvalParams = { ...COCO_EVAL_DEFAULTS, ...p };
  const check = (field: string, xs: readonly number[], ok: (x: number) => boolean, what: string): void => {
    if (!Array.isArray(xs) || xs.length === 0)
      throw new EvalError(`eval params: ${field} must be a non-empty array`);
    xs.forEach((x, i) => {
      if (typeof x !== 'number' || !ok(x))
        throw new EvalError(`eval params: ${field}[${i}] is ${x}, must be ${what}`);
    });
  };
  check('iouThrs', r.iouThrs, (x) => x >= 0 && x <= 1, 'in [0, 1]');
  check('recThrs', r.recThrs, (x) => x >= 0 && x <= 1, 'in [0, 1]');
  check('maxDets', r.maxDets, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
  if (r.areaRng.length !== r.areaRngLbl.length) {
    throw new EvalError(
      `eval params: areaRng has ${r.areaRng.length} ranges but areaRngLbl has ${r.areaRngLbl.length} labels`,
    );
  }
  r.areaRng.forEach((a, i) => {
    if (a.length !== 2 || !(a[0] <= a[1]))
      throw new EvalError(`eval params: areaRng[${i}] is [${a}], must be [min, max]`);
  });
  for (let i = 1; i < r.recThrs.length; i++) {
    if (r.recThrs[i] < r.recThrs[i - 1])
      throw new EvalError(`eval params: recThrs must be ascending (index ${i})`);
  }
  return { ...r, maxDets: [...r.maxDets].sort((a, b) => a - b) };
}
