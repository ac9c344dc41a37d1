import { randomBytes } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { DETECT_QUEUE, taskJobId, type DetectTask, type ModelRef, type TaskItem } from './detect-task';
import { redisOptions, type QueueUrl } from './queue-url';
import { RUN_TTL_SECONDS, RunNotFoundError, RunStore, type RunEvent, type RunStatus } from './run-store';

export interface SubmitRunOptions {
  items: readonly TaskItem[];
  model: ModelRef;
  /** Images per task (default 16): small enough to spread, large enough that Redis costs little per image. */
  chunkSize?: number;
  /** Images per forward pass inside a task. */
  batchSize?: number;
  saveImagesDir?: string;
  /** Tries per task before it is reported as failed (default 3, exponential backoff from 1 s). */
  attempts?: number;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  workers: number;
}

/** New run ids: 12 hex digits, short enough to type into `jobs status`. */
export const newRunId = () => randomBytes(6).toString('hex');

/**
 * The submitting side of queued detection, for the CLI (`detect --queue`, `jobs …`) and the API's job
 * endpoints: enqueue a run as BullMQ jobs (one per chunk of images), follow its events, report its
 * status, cancel it. Workers (`startDetectWorker`) do the processing.
 *
 * @example
 * const runs = DetectRuns.connect(parseQueueUrl('redis://127.0.0.1:6379'));
 * const id = await runs.submit({ items, model: await describeModel({ weights: 'model.safetensors' }) });
 * for await (const e of runs.follow(id)) if (e.kind === 'result') console.log(JSON.stringify(e.record));
 */
export class DetectRuns {
  readonly store: RunStore;

  constructor(
    readonly queue: Queue,
    private readonly redis: Redis,
    private readonly owned = false,
  ) {
    this.store = new RunStore(redis);
  }

  /** A client with connections of its own (closed by `close()`). */
  static connect(url: QueueUrl): DetectRuns {
    const redis = new IORedis(redisOptions(url, { maxRetriesPerRequest: 3 }));
    // Errors surface on the commands that need the connection; an unhandled 'error' event would crash.
    redis.on('error', () => undefined);
    const queue = new Queue(DETECT_QUEUE, { connection: redisOptions(url, { maxRetriesPerRequest: 3 }) });
    queue.on('error', () => undefined);
    return new DetectRuns(queue, redis, true);
  }

  /** Enqueues a run and returns its id; tasks go out in input order. */
  async submit(opts: SubmitRunOptions): Promise<string> {
    const id = newRunId();
    const chunkSize = opts.chunkSize ?? 16;
    const chunks: TaskItem[][] = [];
    for (let i = 0; i < opts.items.length; i += chunkSize) chunks.push(opts.items.slice(i, i + chunkSize));
    await this.store.create(id, {
      order: opts.items.map((i) => i.relative),
      chunks: chunks.length,
      chunkSize,
      model: String(opts.model.source.weights ?? opts.model.source.config ?? opts.model.source.arch ?? ''),
    });
    const jobOpts: JobsOptions = {
      attempts: opts.attempts ?? 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: { age: RUN_TTL_SECONDS },
    };
    for (let start = 0; start < chunks.length; start += 500) {
      await this.queue.addBulk(
        chunks.slice(start, start + 500).map((items, j) => {
          const chunk = start + j;
          const data: DetectTask = {
            runId: id,
            chunk,
            model: opts.model,
            items,
            batchSize: opts.batchSize ?? 1,
            saveImagesDir: opts.saveImagesDir,
          };
          return { name: 'detect', data, opts: { ...jobOpts, jobId: taskJobId(id, chunk) } };
        }),
      );
    }
    return id;
  }

  status(id: string): Promise<RunStatus> {
    return this.store.status(id);
  }

  /** Cancels a running run: queued tasks are removed, busy workers stop at their next image. */
  async cancel(id: string): Promise<boolean> {
    const pending = await this.store.unfinishedChunks(id);
    const cancelled = await this.store.cancel(id);
    if (cancelled) {
      await Promise.all(pending.map((c) => this.queue.remove(taskJobId(id, c)).catch(() => 0)));
    }
    return cancelled;
  }

  /**
   * Every event of a run from the start (or after stream id `from`), then new ones as workers append
   * them, until the run ends. While nothing arrives for `idleMs`, tasks BullMQ gave up on without a
   * worker reporting it (e.g. stalled too often) are recorded as failed, and `onIdle` learns how many
   * workers are connected, so a caller can say why it is waiting. `wait: false` stops at the last event
   * recorded so far instead.
   */
  async *follow(
    id: string,
    opts: { from?: string; idleMs?: number; onIdle?: (workers: number) => void; wait?: boolean } = {},
  ): AsyncGenerator<RunEvent> {
    if (!(await this.store.exists(id))) throw new RunNotFoundError(id);
    // Its own connection (a blocked one serves nobody else), queueing commands until it is connected.
    const reader = this.redis.duplicate({ enableOfflineQueue: true });
    reader.on('error', () => undefined);
    const stream = new RunStore(reader);
    const idleMs = opts.idleMs ?? 5000;
    let from = opts.from ?? '0';
    let idleSince = Date.now();
    try {
      for (;;) {
        const wait = opts.wait ?? true;
        const { last, events } = await stream.readEvents(id, from, { blockMs: wait ? 1000 : 0 });
        from = last;
        if (!wait && events.length === 0) return;
        for (const e of events) {
          yield e;
          if (e.kind === 'end') return;
        }
        if (events.length > 0) {
          idleSince = Date.now();
        } else if (Date.now() - idleSince >= idleMs) {
          idleSince = Date.now();
          await this.reconcile(id);
          opts.onIdle?.(await this.queue.getWorkersCount());
        }
      }
    } finally {
      reader.disconnect();
    }
  }

  /** Records tasks that BullMQ failed or lost without a worker reporting it (the run can then end). */
  async reconcile(id: string): Promise<void> {
    if ((await this.store.state(id)) !== 'running') return;
    for (const chunk of await this.store.unfinishedChunks(id)) {
      const jobId = taskJobId(id, chunk);
      const state = await this.queue.getJobState(jobId);
      if (state === 'failed') {
        const job = await this.queue.getJob(jobId);
        await this.store.recordChunk(id, chunk, job?.failedReason || 'failed');
      } else if (state === 'unknown') {
        await this.store.recordChunk(
          id,
          chunk,
          'task lost from the queue (removed by hand, or Redis lost data)',
        );
      }
    }
  }

  /** Queue depth and connected workers (for /metrics and `jobs status`). */
  async counts(): Promise<QueueCounts> {
    const [c, workers] = await Promise.all([
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
      this.queue.getWorkersCount(),
    ]);
    return {
      waiting: c.waiting ?? 0,
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      workers,
    };
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    await this.queue.close();
    this.redis.disconnect();
  }
}
