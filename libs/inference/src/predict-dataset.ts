import {
  errorMessage,
  mapLimit,
  readImage,
  type Category,
  type DetectionRecord,
  type DecodedImage,
} from '@resdet/data';
import type { CocoResult } from '@resdet/eval';
import type { Detection, ImageDetector } from './detection-types';
import { settleBatchSafely, type SettledBatch } from './settle-batch-safely';
import { batchesInFlight } from './batches-in-flight';

interface Readable {
  record: DetectionRecord;
  image: DecodedImage;
}
import { toCocoResults } from './coco-results';

export interface PredictDatasetOptions {
  /** Images per forward pass (default 2). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** An image that could not be read or run through the model: it gets no detections and the run goes on. */
  onSkip?: (record: DetectionRecord, reason: string) => void;
}

/**
 * Maps the detector's labels to a dataset's category ids: by class name where the names match (a model trained
 * on this dataset, or torchvision's COCO names on COCO), otherwise by order (label k → k-th category). Throws
 * when neither fits, naming both sides.
 */
export function classToCategoryId(
  modelClasses: readonly string[],
  categories: readonly Category[],
): (className: string) => number | undefined {
  const byName = new Map(categories.map((c) => [c.name, c.id]));
  if (modelClasses.slice(1).some((n) => byName.has(n))) return (name) => byName.get(name);
  if (modelClasses.length - 1 === categories.length) {
    const byIndex = new Map(modelClasses.slice(1).map((n, i) => [n, categories[i].id]));
    return (name) => byIndex.get(name);
  }
  throw new Error(
    `the model's ${modelClasses.length - 1} classes (${modelClasses.slice(1, 4).join(', ')}, …) match neither the names nor the number of the dataset's ${categories.length} categories`,
  );
}

/**
 * Runs any detector (tfjs, onnxruntime, or a model in training) over dataset records and returns COCO results
 * (`bbox` xywh in original pixels, the dataset's category ids by class name); detections of classes the dataset
 * lacks are dropped. Every detection the model keeps counts (no extra score threshold).
 * An image that cannot be read or that the model rejects goes to `onSkip` (a failed batch is retried one
 * image at a time) and counts as an image without detections. A detector with `concurrency` > 1 (a worker
 * pool) gets that many batches at once (and as many queued), with the same results in the same order; a
 * crashed worker ends the run with its error.
 */
export async function predictDataset(
  detector: ImageDetector,
  records: readonly DetectionRecord[],
  categories: readonly Category[],
  opts: PredictDatasetOptions = {},
): Promise<CocoResult[]> {
  const toCategory = classToCategoryId(detector.info.classes, categories);
  const batchSize = opts.batchSize ?? 2;
  const maxRunning = batchesInFlight(detector);
  const results: CocoResult[] = [];
  const running: { readable: Readable[]; end: number; settled: Promise<SettledBatch<Detection[]>> }[] = [];
  // Batches finish in input order whichever worker is first, so the results list is the same for any count.
  const finishOldest = async () => {
    const { readable, end, settled } = running.shift()!;
    const settledBatch = await settled;
    if ('fatal' in settledBatch) throw settledBatch.fatal;
    settledBatch.results.forEach((d, i) => {
      const { record } = readable[i];
      if (!d.ok) return opts.onSkip?.(record, `model: ${d.error}`);
      results.push(...toCocoResults(d.value, record.imageId, (det) => toCategory(det.label)));
    });
    opts.onProgress?.(end, records.length);
  };
  for (let s = 0; s < records.length; s += batchSize) {
    const chunk = records.slice(s, s + batchSize);
    const images = await mapLimit(chunk, batchSize, (r) =>
      readImage(r.fileName).then(
        (image) => ({ ok: true as const, image }),
        (e: unknown) => ({ ok: false as const, error: errorMessage(e) }),
      ),
    );
    const readable = chunk.flatMap((record, i) => {
      const im = images[i];
      if (im.ok) return [{ record, image: im.image }];
      opts.onSkip?.(record, im.error);
      return [];
    });
    const settled = settleBatchSafely(
      readable.map((r) => r.image),
      (batch) => detector.predict(batch),
    );
    running.push({ readable, end: Math.min(records.length, s + batchSize), settled });
    if (running.length >= maxRunning) await finishOldest();
    // Let signal handlers and timers run between batches.
    await new Promise((r) => setImmediate(r));
  }
  while (running.length > 0) await finishOldest();
  return results;
}
