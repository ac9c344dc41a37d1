import type { Detections } from '@resdet/detection';
import type { Detection, PredictOptions } from './detection-types';

/** How a model's contiguous labels read: class names, and the category id to report for each. */
export interface LabelMap {
  /** Names by label (0 = background). */
  classes: readonly string[];
  /** Category id per label (COCO ids for torchvision's 91-class models); default: the label itself. */
  categoryIds?: readonly number[];
}

/**
 * A model's raw output for one image (boxes `[D, 4]` xyxy in original pixels, scores descending, labels) as
 * named detections, with the per-call filters applied. Every engine's output goes through here.
 */
export function toDetections(raw: Detections, labels: LabelMap, opts: PredictOptions = {}): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < raw.scores.length; i++) {
    const b = raw.boxes.subarray(4 * i, 4 * i + 4);
    out.push({
      label: labels.classes[raw.labels[i]] ?? `class_${raw.labels[i]}`,
      categoryId: labels.categoryIds?.[raw.labels[i]] ?? raw.labels[i],
      score: raw.scores[i],
      box: { x1: b[0], y1: b[1], x2: b[2], y2: b[3] },
    });
  }
  return filterDetections(out, opts);
}

/** Keeps the detections (already score-sorted) that pass a score threshold and a class list, at most `maxDetections`. */
export function filterDetections(dets: readonly Detection[], opts: PredictOptions): Detection[] {
  const classes = opts.classes?.length ? new Set(opts.classes) : undefined;
  const out = dets.filter(
    (d) =>
      (opts.scoreThreshold === undefined || d.score >= opts.scoreThreshold) &&
      (!classes || classes.has(d.label)),
  );
  return opts.maxDetections === undefined ? out : out.slice(0, opts.maxDetections);
}
