import { AnnotationTable, allocTable } from './annotation-table';
import { EvalError } from './eval-error';

/** Detections loaded like pycocotools' `COCO.loadRes`, plus any warnings worth showing the user. */
export interface LoadedResults {
  readonly table: AnnotationTable;
  readonly warnings: readonly string[];
}

const FIELDS = ['image_id', 'category_id', 'score'] as const;
const BBOX_NAMES = ['x', 'y', 'width', 'height'];

/** A value as it should appear in a message: numbers as JS prints them (NaN, Infinity), the rest as JSON. */
export function showValue(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/**
 * Loads a COCO results list (`[{image_id, category_id, bbox: [x, y, w, h], score}, …]`) as `loadRes` does for
 * bbox results: `area = w * h`, `id = position + 1`, `iscrowd = 0`. Unlike `loadRes` it validates each record
 * and names the first bad one, and an empty list gives an empty table with a warning (evaluation then
 * reports zeros) instead of a crash.
 *
 * @param gtImageIds every image id of the ground truth (`loadRes` asserts results are a subset of them)
 * @param source a file name for error messages
 * @throws EvalError e.g. `results dt.json: [3].bbox[2] (width) is -4, must be >= 0`, or
 *   `results dt.json: 12 results have image ids not in the ground truth, e.g. image_id 999 at [40]`
 */
export function loadResults(
  data: unknown,
  gtImageIds: ReadonlySet<number>,
  source = 'results',
): LoadedResults {
  const where = `results ${source}`;
  if (!Array.isArray(data)) {
    throw new EvalError(`${where}: expected a JSON array of {image_id, category_id, bbox, score} objects`);
  }
  const warnings: string[] = [];
  if (data.length === 0) {
    warnings.push(
      `${where}: the results list is empty; every metric is 0 (or -1 where there is no ground truth)`,
    );
  }
  const t = allocTable(data.length);
  let unknown = 0;
  let firstUnknown = -1;
  for (let r = 0; r < data.length; r++) {
    const a = data[r] as Record<string, unknown> | null;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) {
      throw new EvalError(`${where}: [${r}] is ${JSON.stringify(a)}, must be an object`);
    }
    for (const f of FIELDS) {
      const v = a[f];
      if (v === undefined) throw new EvalError(`${where}: [${r}].${f} is missing`);
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new EvalError(`${where}: [${r}].${f} is ${showValue(v)}, must be a finite number`);
      }
    }
    const bb = a.bbox;
    if (bb === undefined)
      throw new EvalError(`${where}: [${r}].bbox is missing (only bbox results are supported)`);
    if (!Array.isArray(bb) || bb.length !== 4) {
      throw new EvalError(`${where}: [${r}].bbox is ${JSON.stringify(bb)}, must be [x, y, w, h]`);
    }
    for (let j = 0; j < 4; j++) {
      const v = bb[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new EvalError(
          `${where}: [${r}].bbox[${j}] (${BBOX_NAMES[j]}) is ${showValue(v)}, must be a finite number`,
        );
      }
      if (j >= 2 && v < 0) {
        throw new EvalError(
          `${where}: [${r}].bbox[${j}] (${BBOX_NAMES[j]}) is ${v}, must be >= 0 (bbox is [x, y, w, h], not [x1, y1, x2, y2])`,
        );
      }
      t.box[r * 4 + j] = v;
    }
    const imageId = a.image_id as number;
    if (!gtImageIds.has(imageId)) {
      if (unknown === 0) firstUnknown = r;
      unknown++;
    }
    t.id[r] = r + 1;
    t.imageId[r] = imageId;
    t.categoryId[r] = a.category_id as number;
    t.score[r] = a.score as number;
    t.area[r] = (bb[2] as number) * (bb[3] as number);
  }
  if (unknown > 0) {
    throw new EvalError(
      `${where}: ${unknown} result(s) have image ids not in the ground truth, e.g. image_id ` +
        `${t.imageId[firstUnknown]} at [${firstUnknown}] (results do not correspond to this ground truth file)`,
    );
  }
  return { table: t, warnings };
}
