import { Rng } from '@resdet/random';
import { augment, scaleBoxes, type AugmentOptions } from './augmentation';
import { trainingTarget, type DetectionRecord } from './detection-record';
import { aspectRatioGroups, groupedBatches, plainBatches } from './grouped-batch-sampler';
import { readImage, type DecodedImage, type ReadImageOptions, type RgbImage } from './image-io';

/** Targets of one loaded image, in the pixel coordinates of the image the loader returns. */
export interface LoaderTarget {
  imageId: number;
  /** `[N * 4]` float32 `xyxy` absolute pixels of the returned image (after downscale and flip). */
  boxes: Float32Array;
  /** `[N]` int32 labels `1..K`. */
  labels: Int32Array;
  /** Size of the decoded file before any `maxSide` downscale. */
  originalWidth: number;
  originalHeight: number;
  flipped: boolean;
  /** Short side picked for multi-scale training, when `augment.shortSides` is set. */
  shortSide?: number;
}

/** One batch, host side: RGB uint8 HWC images of possibly different sizes and their targets. */
export interface LoaderBatch {
  epoch: number;
  /** Batch index within the epoch. */
  step: number;
  images: RgbImage[];
  targets: LoaderTarget[];
}

export interface LoaderOptions {
  batchSize: number;
  /** Seed of the shuffles and augmentations; epoch `e` always gives the same batches. */
  seed: number;
  /** Shuffle each epoch (default true); false keeps the dataset order. */
  shuffle?: boolean;
  /** torchvision's `--aspect-ratio-group-factor` (default 3); a negative value turns grouping off. */
  aspectRatioGroupFactor?: number;
  /** Images decoded ahead of the consumer (default two batches). */
  prefetch?: number;
  /** Training augmentations; unset = none. */
  augment?: AugmentOptions;
  /** Train on VOC `difficult` objects too (default false; crowd boxes are always left out). */
  keepDifficult?: boolean;
  /** Decoder options (pixel limit, optional downscale). */
  read?: ReadImageOptions;
  /** The decoder; default {@link readImage}. Injected by tests, or to read from somewhere other than files. */
  decode?: (file: string, opts?: ReadImageOptions) => Promise<DecodedImage>;
  /**
   * Called once per image that cannot be read or decoded (a corrupt or truncated file). The image is left out of
   * every batch it falls in (the batch is one image smaller); a batch none of whose images can be read is an error.
   */
  onSkip?: (record: DetectionRecord, reason: string) => void;
}

/**
 * Turns records into batches for training: a seeded shuffle per epoch, batches drawn from one aspect-ratio
 * group at a time (torchvision's `GroupedBatchSampler`), images decoded ahead by a bounded queue of promises
 * (sharp decodes on libuv's thread pool, so decoding overlaps the consumer's work), boxes scaled and flipped
 * with their images. Batches hold host arrays only; normalisation, resizing and padding happen on tensors in
 * the detection transform. Every epoch has `floor(N / batchSize)` batches.
 *
 * @example
 * const loader = new DetectionLoader(ds.records, { batchSize: 4, seed: 0, augment: { hflipProb: 0.5 } });
 * for await (const batch of loader.iterate()) { ... } // endless, epoch after epoch
 */
export class DetectionLoader {
  private readonly groups: number[] | undefined;
  private readonly opts: Required<Pick<LoaderOptions, 'batchSize' | 'seed' | 'shuffle' | 'prefetch'>> &
    LoaderOptions;
  /** Records that failed to decode (reported once each). */
  private readonly skipped = new Set<number>();

  constructor(
    private readonly records: readonly DetectionRecord[],
    opts: LoaderOptions,
  ) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
      throw new RangeError(`loader: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (records.length < opts.batchSize) {
      throw new RangeError(
        `loader: the dataset has ${records.length} images, fewer than one batch of ${opts.batchSize}`,
      );
    }
    this.opts = { shuffle: true, prefetch: 2 * opts.batchSize, ...opts };
    const k = opts.aspectRatioGroupFactor ?? 3;
    this.groups = k >= 0 ? aspectRatioGroups(records, k) : undefined;
  }

  /** Batches per epoch: `floor(N / batchSize)`. */
  get batchesPerEpoch(): number {
    return Math.floor(this.records.length / this.opts.batchSize);
  }

  /** Record indices of each batch of `epoch` (deterministic for the seed). */
  epochBatches(epoch: number): number[][] {
    const n = this.records.length;
    const order = this.opts.shuffle
      ? mixRng(this.opts.seed, epoch, 0x5eed).permutation(n)
      : Array.from({ length: n }, (_, i) => i);
    return this.groups
      ? groupedBatches(order, this.groups, this.opts.batchSize)
      : plainBatches(order, this.opts.batchSize);
  }

  /** The batches of one epoch. */
  epoch(epoch: number): AsyncGenerator<LoaderBatch> {
    return this.iterate({ startEpoch: epoch, epochs: 1 });
  }

  /** Batches from `startEpoch` (default 0) on, for `epochs` epochs (default: forever). */
  async *iterate(range: { startEpoch?: number; epochs?: number } = {}): AsyncGenerator<LoaderBatch> {
    const start = range.startEpoch ?? 0;
    const end = start + (range.epochs ?? Infinity);
    const plans = this.plans(start, end);
    type Pending = {
      epoch: number;
      step: number;
      items: Promise<{ image: RgbImage; target: LoaderTarget }>[];
    };
    const queue: Pending[] = [];
    let queued = 0;
    let exhausted = false;
    const fill = () => {
      while (!exhausted && (queue.length === 0 || queued < this.opts.prefetch)) {
        const next = plans.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const { epoch, step, indices } = next.value;
        const items = indices.map((idx, slot) => {
          const p = this.load(idx, mixRng(this.opts.seed, epoch, step * this.opts.batchSize + slot + 1));
          p.catch(() => undefined); // surfaced when the batch is awaited; avoids an unhandled rejection meanwhile
          return p;
        });
        queue.push({ epoch, step, items });
        queued += items.length;
      }
    };
    for (;;) {
      fill();
      const head = queue.shift();
      if (!head) return;
      queued -= head.items.length;
      fill(); // keep decoding ahead while this batch is awaited and consumed
      const settled = await Promise.allSettled(head.items);
      const loaded = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      if (!loaded.length) {
        const reasons = settled.map((r) => (r.status === 'rejected' ? errorText(r.reason) : ''));
        throw new Error(
          `no image of batch ${head.step} (epoch ${head.epoch}) could be read: ${[...new Set(reasons)].join('; ')}`,
        );
      }
      yield {
        epoch: head.epoch,
        step: head.step,
        images: loaded.map((l) => l.image),
        targets: loaded.map((l) => l.target),
      };
    }
  }

  private *plans(start: number, end: number): Generator<{ epoch: number; step: number; indices: number[] }> {
    for (let e = start; e < end; e++) {
      const batches = this.epochBatches(e);
      for (let s = 0; s < batches.length; s++) yield { epoch: e, step: s, indices: batches[s] };
    }
  }

  private async load(idx: number, rng: Rng): Promise<{ image: RgbImage; target: LoaderTarget }> {
    const rec = this.records[idx];
    let decoded: DecodedImage;
    try {
      decoded = await (this.opts.decode ?? readImage)(rec.fileName, this.opts.read);
    } catch (e) {
      if (!this.skipped.has(idx)) {
        this.skipped.add(idx);
        this.opts.onSkip?.(rec, errorText(e));
      }
      throw e;
    }
    const t = trainingTarget(rec, { keepDifficult: this.opts.keepDifficult });
    // Boxes are in annotated pixels; follow any downscale (or a file whose size differs from its annotation).
    const sx = decoded.width / rec.width,
      sy = decoded.height / rec.height;
    let boxes = sx === 1 && sy === 1 ? t.boxes : scaleBoxes(t.boxes, sx, sy);
    let image: RgbImage = { data: decoded.data, width: decoded.width, height: decoded.height };
    let flipped = false;
    let shortSide: number | undefined;
    if (this.opts.augment) {
      const a = augment(image, boxes, rng, this.opts.augment);
      ({ image, boxes, flipped, shortSide } = a);
    }
    return {
      image,
      target: {
        imageId: rec.imageId,
        boxes,
        labels: t.labels,
        originalWidth: decoded.originalWidth,
        originalHeight: decoded.originalHeight,
        flipped,
        shortSide,
      },
    };
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A generator for (seed, epoch, slot), independent of the order in which images finish decoding. */
function mixRng(seed: number, epoch: number, slot: number): Rng {
  let h = Math.imul((seed >>> 0) ^ 0x85ebca6b, 0xc2b2ae35);
  h = Math.imul(h ^ (epoch + 1), 0x27d4eb2f) ^ Math.imul(slot + 1, 0x165667b1);
  return new Rng((h ^ (h >>> 15)) >>> 0);
}
