import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '@resdet/data';
import type { Detection, ImageDetector, PredictOptions, RawImage } from './detection-types';
import { ImageSourceItem, safeJoin } from './image-source';
import { drawDetections, drawingFormat } from './draw-detections';
import { ResultsWriter } from './results-writer';
import { settleBatchSafely, type SettledBatch } from './settle-batch-safely';
import { batchesInFlight } from './batches-in-flight';

export interface DetectJobOptions {
  /** Images per forward pass. */
  batchSize: number;
  /** Reads and decodes one file; throws (ideally an error naming the reason) for anything that is not a usable image. */
  decode: (file: string) => Promise<RawImage>;
  /** Where each image's detections go (a ResultsWriter, or a queue worker's Redis sink). */
  writer?: Pick<ResultsWriter, 'write'>;
  /** Folder for drawn images (mirrors the input tree). */
  saveImagesDir?: string;
  /** file_name → COCO image id (from `--coco-gt`). */
  imageIds?: ReadonlyMap<string, number>;
  predict?: PredictOptions;
  /** Decodes running ahead of the model (default 2 batches). */
  prefetch?: number;
  onSkip?: (item: ImageSourceItem, reason: string) => void;
  onProgress?: (p: { done: number; skipped: number; total: number; detections: number }) => void;
}

export interface DetectJobSummary {
  processed: number;
  skipped: number;
  detections: number;
  seconds: number;
}

interface Decoded {
  item: ImageSourceItem;
  image?: RawImage;
  error?: string;
}

/**
 * Runs a detector over many files: decodes run ahead of the model (sharp works on libuv threads while the
 * model computes), batches go through one `predict`, results stream to the writer, drawings go to
 * `saveImagesDir`. Any per-image failure — decode, model, drawing, writing — is reported through `onSkip`
 * with its reason and counted as skipped, and the job goes on; a batch the model rejects is retried one
 * image at a time so one bad image never costs its batch-mates. A detector with `concurrency` > 1 (a worker
 * pool) gets that many batches at once, and as many more queued (see {@link batchesInFlight}); results still
 * go out in input order. A crashed worker ends the job with its error. Memory is bounded by the prefetch
 * window, not by the number of files.
 */
export async function runDetectJob(
  detector: ImageDetector,
  items: readonly ImageSourceItem[],
  opts: DetectJobOptions,
): Promise<DetectJobSummary> {
  const started = performance.now();
  const maxRunning = batchesInFlight(detector);
  // Decodes cover every batch the detector holds (running or queued) plus the prefetch behind them, so a
  // queued batch never waits on sharp.
  const window =
    Math.max(opts.batchSize, opts.prefetch ?? opts.batchSize * 2) + opts.batchSize * (maxRunning - 1);
  const pending: Promise<Decoded>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < window && next < items.length) {
      const item = items[next++];
      pending.push(
        opts.decode(item.file).then(
          (image) => ({ item, image }),
          (e: unknown) => ({ item, error: errorMessage(e) }),
        ),
      );
    }
  };
  const summary: DetectJobSummary = { processed: 0, skipped: 0, detections: 0, seconds: 0 };
  const report = () =>
    opts.onProgress?.({
      done: summary.processed + summary.skipped,
      skipped: summary.skipped,
      total: items.length,
      detections: summary.detections,
    });
  const running: { batch: Decoded[]; settled: Promise<SettledBatch<Detection[]>> }[] = [];
  // Results are emitted batch by batch in input order, whichever worker finishes first.
  const finishOldest = async () => {
    const { batch, settled } = running.shift()!;
    const settledBatch = await settled;
    if ('fatal' in settledBatch) throw settledBatch.fatal;
    for (let i = 0; i < batch.length; i++) {
      const { item, image } = batch[i];
      const r = settledBatch.results[i];
      try {
        if (!r.ok) throw new Error(`model: ${r.error}`);
        await emit(item, image!, r.value, opts);
        summary.processed++;
        summary.detections += r.value.length;
      } catch (e) {
        summary.skipped++;
        opts.onSkip?.(item, errorMessage(e));
      }
    }
    report();
  };

  fill();
  while (pending.length > 0) {
    const batch: Decoded[] = [];
    while (batch.length < opts.batchSize && pending.length > 0) {
      const d = await pending.shift()!;
      fill();
      if (d.image) {
        batch.push(d);
      } else {
        summary.skipped++;
        opts.onSkip?.(d.item, d.error ?? 'unreadable');
        report();
      }
    }
    if (batch.length === 0) continue;
    const images = batch.map((d) => d.image!);
    running.push({ batch, settled: settleBatchSafely(images, (b) => detector.predict(b, opts.predict)) });
    if (running.length >= maxRunning) await finishOldest();
  }
  while (running.length > 0) await finishOldest();
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Draws (when asked) and then writes one image's result; throws naming the step that failed. */
async function emit(item: ImageSourceItem, image: RawImage, dets: Detection[], opts: DetectJobOptions) {
  if (opts.saveImagesDir) {
    try {
      const out = drawingPath(opts.saveImagesDir, item.relative);
      await fs.mkdir(path.dirname(out), { recursive: true });
      await fs.writeFile(out, await drawDetections(image, dets, drawingFormat(out)));
    } catch (e) {
      throw new Error(`drawing: ${errorMessage(e)}`);
    }
  }
  const record = {
    fileName: item.relative,
    imageId: lookupImageId(opts.imageIds, item.relative),
    width: image.width,
    height: image.height,
  };
  try {
    await opts.writer?.write(record, dets);
  } catch (e) {
    throw new Error(`writing results: ${errorMessage(e)}`);
  }
}

/** Where the drawing of `relative` goes: same tree under `dir`; unknown extensions get `.png` appended. */
export function drawingPath(dir: string, relative: string): string {
  const ext = path.extname(relative).toLowerCase();
  const keep = ['.jpg', '.jpeg', '.png', '.webp'].includes(ext);
  return safeJoin(dir, keep ? relative : `${relative}.png`);
}

function lookupImageId(ids: ReadonlyMap<string, number> | undefined, relative: string): number | undefined {
  if (!ids) return undefined;
  return ids.get(relative) ?? ids.get(path.posix.basename(relative));
}

/** file_name → id from a COCO ground-truth file's `images` (for `detect --coco-gt`). */
export async function readCocoImageIds(gtFile: string): Promise<Map<string, number>> {
  const gt = JSON.parse(await fs.readFile(gtFile, 'utf8')) as {
    images?: { id: number; file_name: string }[];
  };
  if (!Array.isArray(gt.images)) throw new Error(`${gtFile}: field "images" is missing or not a list`);
  const ids = new Map<string, number>();
  gt.images.forEach((im, i) => {
    if (typeof im.file_name !== 'string' || typeof im.id !== 'number') {
      throw new Error(`${gtFile}: images[${i}] needs a string file_name and a numeric id`);
    }
    ids.set(im.file_name, im.id);
  });
  return ids;
}
