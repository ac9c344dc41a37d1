import type { BatchStream } from './trainer-ports';
import { TrainingConfigError } from './errors';

/** Position of the next batch: epoch and 0-based batch index within it. */
export interface EpochPosition {
  epoch: number;
  step: number;
}

export interface EpochBatchStreamOptions<B> {
  /**
   * Opens the batches of `epoch` onwards (endless or at least to the end of the epoch), deterministic
   * for the epoch — e.g. `(e) => loader.iterate({ startEpoch: e })[Symbol.asyncIterator]()` for
   * `@resdet/data`'s DetectionLoader.
   */
  openEpoch: (epoch: number) => AsyncIterator<B> | Iterator<B>;
  /** Batches per epoch (`DetectionLoader.batchesPerEpoch`). */
  batchesPerEpoch: number;
  batchSize?: (batch: B) => number;
  release?: (batch: B) => void;
}

/**
 * Adapts a loader that is deterministic per epoch (a seeded shuffle and augmentation per
 * (seed, epoch, slot), as `@resdet/data`'s DetectionLoader is) to a resumable {@link BatchStream}:
 * the state is the position `{ epoch, step }` of the next batch; restoring reopens that epoch and
 * skips `step` batches (they are released, not trained on). Prefetching inside the loader does not
 * matter because the position counts only batches handed to the trainer.
 *
 * @example
 * const data = new EpochBatchStream({
 *   openEpoch: (e) => loader.iterate({ startEpoch: e })[Symbol.asyncIterator](),
 *   batchesPerEpoch: loader.batchesPerEpoch, batchSize: (b) => b.images.length,
 * });
 */
export class EpochBatchStream<B> implements BatchStream<B> {
  private pos: EpochPosition = { epoch: 0, step: 0 };
  private iter: AsyncIterator<B> | Iterator<B> | undefined;
  /** Batches the open iterator still has to skip to reach `pos`. */
  private skip = 0;
  readonly batchSize?: (batch: B) => number;
  readonly release?: (batch: B) => void;

  constructor(private readonly opts: EpochBatchStreamOptions<B>) {
    if (!Number.isInteger(opts.batchesPerEpoch) || opts.batchesPerEpoch < 1) {
      throw new TrainingConfigError(
        `data: batchesPerEpoch must be an integer ≥ 1, got ${opts.batchesPerEpoch} (fewer images than the batch size?)`,
      );
    }
    this.batchSize = opts.batchSize;
    this.release = opts.release;
  }

  async next(): Promise<B> {
    if (!this.iter) {
      this.iter = this.opts.openEpoch(this.pos.epoch);
      this.skip = this.pos.step;
    }
    for (;;) {
      const r = await this.iter.next();
      if (r.done) {
        throw new TrainingConfigError(
          `data: the loader ended inside epoch ${this.pos.epoch} (openEpoch must not stop early)`,
        );
      }
      if (this.skip > 0) {
        this.skip--;
        this.release?.(r.value);
        continue;
      }
      this.pos =
        this.pos.step + 1 === this.opts.batchesPerEpoch
          ? { epoch: this.pos.epoch + 1, step: 0 }
          : { epoch: this.pos.epoch, step: this.pos.step + 1 };
      return r.value;
    }
  }

  getState(): EpochPosition {
    return { ...this.pos };
  }

  setState(state: unknown): void {
    const s = state as Partial<EpochPosition> | null;
    if (
      !s ||
      !Number.isInteger(s.epoch) ||
      !Number.isInteger(s.step) ||
      s.epoch! < 0 ||
      s.step! < 0 ||
      s.step! >= this.opts.batchesPerEpoch
    ) {
      throw new TrainingConfigError(
        `data: bad saved position ${JSON.stringify(state)} (batchesPerEpoch ${this.opts.batchesPerEpoch})`,
      );
    }
    void this.iter?.return?.();
    this.iter = undefined;
    this.pos = { epoch: s.epoch!, step: s.step! };
  }
}
