import { EvalError } from './eval-error';
import { numpyMean } from './numpy-sum';
import { formatApTable } from './report';
import { vocAp } from './voc-ap';

/** A VOC ground-truth object: `box` is `[x1, y1, x2, y2]` in VOC's inclusive pixel coordinates. */
export interface VocObject {
  imageId: string | number;
  label: string;
  box: readonly number[];
  /** Difficult objects are neither required (not in npos) nor penalised (a detection on one is not counted). */
  difficult?: boolean;
}

/** A detection for VOC evaluation: `box` is `[x1, y1, x2, y2]` like the ground truth. */
export interface VocDetection {
  imageId: string | number;
  label: string;
  box: readonly number[];
  score: number;
}

/** Options of `evaluateVoc`; the defaults are the VOC devkit's. */
export interface VocEvalOptions {
  /** A detection matches when IoU > this (strictly). Default 0.5. */
  iouThreshold?: number;
  /** true: VOC2007 11-point AP; false (default): VOC2010+ area under the interpolated curve. */
  use07Metric?: boolean;
  /** Added to widths and heights (VOC's inclusive pixel boxes use 1; continuous boxes use 0). Default 1. */
  pixelOffset?: number;
  /** Classes to report, in this order (default: every ground-truth label, sorted). */
  classes?: readonly string[];
}

/** AP of one class; `ap` is -1 when the class has no non-difficult ground truth. */
export interface VocClassAp {
  label: string;
  ap: number;
  /** Non-difficult ground-truth objects. */
  npos: number;
  /** Detections of this class. */
  ndet: number;
}

/** Per-class AP and their mean over classes with ground truth. */
export interface VocEvalResult {
  perClass: VocClassAp[];
  mAP: number;
}

function checkBox(box: readonly number[], where: string): void {
  if (
    !Array.isArray(box) ||
    box.length !== 4 ||
    box.some((v) => typeof v !== 'number' || !Number.isFinite(v))
  ) {
    throw new EvalError(`${where}.box is ${JSON.stringify(box)}, must be [x1, y1, x2, y2] of finite numbers`);
  }
}

/**
 * PASCAL VOC detection AP per class (`voc_eval` of py-faster-rcnn / Detectron): detections in descending score
 * order (stable: ties keep input order, where numpy's quicksort leaves it unspecified) take the ground truth of
 * their image with the highest IoU; IoU > threshold on a free object is a TP, on an already taken one a FP, on
 * a difficult one neither; below the threshold a FP. Recall is `tp / npos`, precision `tp / max(tp + fp, eps)`.
 */
export function evaluateVoc(
  gts: readonly VocObject[],
  dets: readonly VocDetection[],
  opts: VocEvalOptions = {},
): VocEvalResult {
  const thr = opts.iouThreshold ?? 0.5;
  const off = opts.pixelOffset ?? 1;
  gts.forEach((g, i) => checkBox(g.box, `voc ground truth [${i}]`));
  dets.forEach((d, i) => {
    checkBox(d.box, `voc detections [${i}]`);
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) {
      throw new EvalError(`voc detections [${i}].score is ${String(d.score)}, must be a finite number`);
    }
  });
  const classes = opts.classes ?? Array.from(new Set(gts.map((g) => g.label))).sort();
  const perClass = classes.map((label) =>
    evaluateClass(label, gts, dets, thr, off, opts.use07Metric ?? false),
  );
  const valid = perClass.filter((c) => c.ap > -1).map((c) => c.ap);
  return { perClass, mAP: valid.length ? numpyMean(valid) : -1 };
}

function evaluateClass(
  label: string,
  gts: readonly VocObject[],
  dets: readonly VocDetection[],
  thr: number,
  off: number,
  use07: boolean,
): VocClassAp {
  const byImage = new Map<
    string | number,
    { box: readonly number[]; difficult: boolean; taken: boolean }[]
  >();
  let npos = 0;
  for (const g of gts) {
    if (g.label !== label) continue;
    const list = byImage.get(g.imageId) ?? [];
    list.push({ box: g.box, difficult: !!g.difficult, taken: false });
    byImage.set(g.imageId, list);
    if (!g.difficult) npos++;
  }
  const mine = dets.filter((d) => d.label === label);
  const order = mine.map((_, i) => i).sort((a, b) => mine[b].score - mine[a].score || a - b);
  const nd = order.length;
  const rec = new Float64Array(nd);
  const prec = new Float64Array(nd);
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < nd; k++) {
    const bb = mine[order[k]].box;
    const objs = byImage.get(mine[order[k]].imageId) ?? [];
    let ovmax = -Infinity;
    let jmax = -1;
    for (let j = 0; j < objs.length; j++) {
      const g = objs[j].box;
      const iw = Math.max(Math.min(g[2], bb[2]) - Math.max(g[0], bb[0]) + off, 0);
      const ih = Math.max(Math.min(g[3], bb[3]) - Math.max(g[1], bb[1]) + off, 0);
      const inters = iw * ih;
      const uni =
        (bb[2] - bb[0] + off) * (bb[3] - bb[1] + off) + (g[2] - g[0] + off) * (g[3] - g[1] + off) - inters;
      const ov = inters / uni;
      if (ov > ovmax) {
        ovmax = ov;
        jmax = j;
      }
    }
    if (ovmax > thr) {
      const o = objs[jmax];
      if (!o.difficult) {
        if (!o.taken) {
          tp++;
          o.taken = true;
        } else fp++;
      }
    } else fp++;
    rec[k] = tp / npos;
    prec[k] = tp / Math.max(tp + fp, Number.EPSILON);
  }
  return { label, ap: npos > 0 ? vocAp(rec, prec, use07) : -1, npos, ndet: nd };
}

/** The VOC per-class AP table with its mean row (classes without ground truth print "-"). */
export function formatVocTable(r: VocEvalResult): string {
  return formatApTable(
    ['AP'],
    r.perClass.map((c) => ({ name: c.label, id: '', values: [c.ap] })),
  );
}
