/**
 * Groups concurrent requests into batches for one forward pass: a batch runs when `maxBatchSize` items
 * are waiting or `maxWaitMs` after the first one arrived, whichever comes first. Up to `concurrency`
 * batches run at a time (1 for a model in this thread; the number of workers for a pool, which hands each
 * batch to a free worker); the queue is bounded, and a full queue rejects at once so a server can answer
 * 503 instead of piling up memory.
 *
 * @example
 * const b = new MicroBatcher<Img, Dets>((imgs) => detector.predict(imgs), { maxBatchSize: 4, maxWaitMs: 10 });
 * const dets = await b.submit(img);
 */
export interface MicroBatcherOptions {
  /** Most items in one call of the batch function. */
  maxBatchSize: number;
  /** Longest an item waits for companions before its batch runs. */
  maxWaitMs: number;
  /** Most items waiting (not yet running); beyond this `submit` throws QueueFullError. */
  maxQueue: number;
  /** Batches running at once (default 1). */
  concurrency?: number;
  /** Called after each batch with its size (metrics). */
  onBatch?: (size: number) => void;
}

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export class BatcherClosedError extends Error {
  override name = 'BatcherClosedError';
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly concurrency: number;
  private closed = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: MicroBatcherOptions,
  ) {
    if (opts.maxBatchSize < 1) throw new RangeError(`maxBatchSize must be ≥ 1, got ${opts.maxBatchSize}`);
    if (opts.maxQueue < 1) throw new RangeError(`maxQueue must be ≥ 1, got ${opts.maxQueue}`);
    this.concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${opts.concurrency}`);
    }
  }

  /** Items waiting for a batch (not counting batches that are running). */
  get depth(): number {
    return this.queue.length;
  }

  /** Whether a batch is running now. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  submit(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new BatcherClosedError('the server is shutting down'));
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(new QueueFullError(`queue is full (${this.opts.maxQueue} waiting)`));
    }
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running.size >= this.concurrency) return; // a running batch's completion schedules the next
    if (this.queue.length >= this.opts.maxBatchSize) {
      this.flush();
    } else if (!this.timer && this.queue.length > 0) {
      this.timer = setTimeout(() => this.flush(), this.opts.maxWaitMs);
    }
  }

  /** Starts one batch now, then more while slots are free and full batches wait; a partial rest waits. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let first = true;
    while (
      this.running.size < this.concurrency &&
      this.queue.length > 0 &&
      (first || this.queue.length >= this.opts.maxBatchSize)
    ) {
      first = false;
      const batch = this.queue.splice(0, this.opts.maxBatchSize);
      const run: Promise<void> = this.execute(batch).finally(() => {
        this.running.delete(run);
        // Requests that queued while every slot was busy have waited long enough: run them now.
        if (this.queue.length > 0) this.flush();
      });
      this.running.add(run);
    }
    this.schedule();
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    this.opts.onBatch?.(batch.length);
    try {
      const out = await this.run(batch.map((p) => p.item));
      if (out.length !== batch.length) {
        throw new Error(`batch function returned ${out.length} results for ${batch.length} items`);
      }
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    }
  }

  /** Stops accepting work and waits until everything queued or running has finished. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.running.size > 0 || this.queue.length > 0) {
      if (this.running.size === 0) this.flush();
      await Promise.all(this.running);
    }
  }
}
