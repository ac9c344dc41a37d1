import { accumulateCoco, CocoAccumulation } from './coco-evaluator';
import { CocoEvalParams } from './coco-params';
import { CocoDataset, CocoResult } from './coco-types';
import { GroundTruth, loadGroundTruth } from './ground-truth';
import { loadResults } from './load-results';
import { CategoryAp, perCategoryAp } from './per-category';
import { summarizeCoco } from './summarize';

/** Everything one COCO bbox evaluation produces. */
export interface CocoEvalResult extends CocoAccumulation {
  /** pycocotools' 12 numbers in its order (see COCO_STAT_NAMES). */
  stats: number[];
  /** pycocotools' 12 summary lines. */
  lines: string[];
  /** Per-category AP, AP50, AP75 (area all, maxDets 100). */
  perCategory: CategoryAp[];
  /** Things the user should know that did not stop the evaluation (empty results, unknown categories). */
  warnings: string[];
}

/** Options of `evaluateCoco`. */
export interface EvaluateCocoOptions {
  params?: Partial<CocoEvalParams>;
  /** Names used in error messages, e.g. the file names. */
  gtSource?: string;
  dtSource?: string;
}

/**
 * COCO bbox evaluation with pycocotools' semantics on in-memory objects: `COCO(gt)`, `loadRes(results)`,
 * `COCOeval(..., 'bbox')` `evaluate()`, `accumulate()`, `summarize()`. The training loop calls this on its
 * validation split; the `eval` command calls it on two JSON files.
 *
 * @param gt a COCO ground-truth object (images, annotations with `area`, categories), or an already loaded one
 * @param results a COCO results list: `{image_id, category_id, bbox: [x, y, w, h], score}` in original pixels
 * @throws EvalError for malformed input (naming the record) or results on unknown images
 * @example
 * const r = evaluateCoco(gtJson, detections);
 * console.log(r.lines.join('\n')); // ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.371'
 */
export function evaluateCoco(
  gt: CocoDataset | GroundTruth | unknown,
  results: readonly CocoResult[] | unknown,
  opts: EvaluateCocoOptions = {},
): CocoEvalResult {
  const g = isLoaded(gt) ? gt : loadGroundTruth(gt, opts.gtSource);
  const { table, warnings } = loadResults(results, new Set(g.imageIds), opts.dtSource);
  const cats = new Set(g.categoryIds);
  let foreign = 0;
  let example = 0;
  for (let r = 0; r < table.n; r++) {
    if (!cats.has(table.categoryId[r])) {
      if (foreign++ === 0) example = table.categoryId[r];
    }
  }
  const w = [...warnings];
  if (foreign > 0) {
    w.push(
      `results ${opts.dtSource ?? ''}: ${foreign} result(s) have category ids not in the ground truth ` +
        `(e.g. ${example}); they are not evaluated`.replace('results : ', 'results: '),
    );
  }
  const acc = accumulateCoco(g, table, opts.params);
  const { stats, lines } = summarizeCoco(acc);
  return { ...acc, stats, lines, perCategory: perCategoryAp(acc, g.categoryNames), warnings: w };
}

function isLoaded(x: unknown): x is GroundTruth {
  return typeof x === 'object' && x !== null && 'table' in x && 'imageIds' in x;
}
