import {
  evaluateCoco,
  evaluateVoc,
  type CocoEvalResult,
  type CocoResult,
  type VocEvalResult,
} from '@resdet/eval';
import type { DetectionDataset, DetectionRecord } from '@resdet/data';
import type { ImageDetector } from './detection-types';
import {
  cocoAnnotationFile,
  readDetectionSplit,
  splitGroundTruth,
  type DatasetLocation,
} from './dataset-split';
import { predictDataset } from './predict-dataset';

export interface EvaluateDetectorOptions {
  dataset: Pick<DatasetLocation, 'root' | 'format'>;
  split: string;
  batchSize?: number;
  /** VOC trees also get VOC AP: 2007 (11-point) or 2012 (area, default). */
  vocMetric?: '2007' | '2012';
  /** Names the detections in messages (e.g. the weights file). */
  dtSource?: string;
  onProgress?: (done: number, total: number) => void;
  /** An image that could not be read or that the model rejects; it is scored as without detections. */
  onSkip?: (record: DetectionRecord, reason: string) => void;
  /** The split, when the caller has read it already (`readDetectionSplit`), e.g. to size a worker pool. */
  data?: DetectionDataset;
}

export interface DetectorEvaluation {
  coco: CocoEvalResult;
  /** VOC trees only. */
  voc?: VocEvalResult;
  images: number;
}

/**
 * `eval --model`: a detector over one split of a COCO or VOC tree, then COCO metrics against the split's
 * ground truth (and VOC AP for VOC trees).
 */
export async function evaluateDetector(
  detector: ImageDetector,
  opts: EvaluateDetectorOptions,
): Promise<DetectorEvaluation> {
  const ds = opts.data ?? (await readDetectionSplit(opts.dataset, opts.split));
  const dt = await predictDataset(detector, ds.records, ds.categories, {
    batchSize: opts.batchSize,
    onProgress: opts.onProgress,
    onSkip: opts.onSkip,
  });
  const gt = splitGroundTruth(opts.dataset, opts.split, ds);
  const gtSource =
    opts.dataset.format === 'coco' ? cocoAnnotationFile(opts.dataset.root, opts.split) : opts.dataset.root;
  const coco = evaluateCoco(gt, dt, { gtSource, dtSource: opts.dtSource });
  const voc = opts.dataset.format === 'voc' ? vocEvaluation(ds, dt, opts.vocMetric ?? '2012') : undefined;
  return { coco, voc, images: ds.records.length };
}

function vocEvaluation(
  ds: DetectionDataset,
  dt: readonly CocoResult[],
  metric: '2007' | '2012',
): VocEvalResult {
  const names = new Map(ds.categories.map((c) => [c.id, c.name]));
  const gts = ds.records.flatMap((r) =>
    Array.from(r.labels, (l, i) => ({
      imageId: r.imageId,
      label: ds.categories[l - 1].name,
      box: Array.from(r.boxes.subarray(4 * i, 4 * i + 4)),
      difficult: r.difficult[i] === 1,
    })),
  );
  const dets = dt.map((d) => ({
    imageId: d.image_id,
    label: names.get(d.category_id)!,
    box: [d.bbox[0], d.bbox[1], d.bbox[0] + d.bbox[2], d.bbox[1] + d.bbox[3]],
    score: d.score,
  }));
  // resdet's boxes are continuous (VOC's 1-based inclusive pixels were converted on read): no +1.
  return evaluateVoc(gts, dets, {
    use07Metric: metric === '2007',
    pixelOffset: 0,
    classes: [...names.values()],
  });
}
