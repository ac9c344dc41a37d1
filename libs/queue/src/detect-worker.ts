import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import {
  runDetectJob,
  toNdjsonRecord,
  type ImageDetector,
  type ModelSource,
  type RawImage,
} from '@resdet/inference';
import { DETECT_QUEUE, type DetectTask } from './detect-task';
import { ModelCache } from './model-cache';
import { redisOptions, type QueueUrl } from './queue-url';
import { RunStore } from './run-store';

export interface DetectWorkerOptions {
  url: QueueUrl;
  /** Loads a model on this worker's engine/backend (the CLI passes its engine factory). */
  loadDetector: (source: ModelSource) => Promise<ImageDetector>;
  /** Reads and decodes one image file. */
  decode: (file: string) => Promise<RawImage>;
  /**
   * How long a task's lock lasts without renewal (default 30 s). A worker that dies (kill -9, power loss)
   * keeps its task until the lock expires; then the next stalled-job check hands it to another worker.
   * The lock is renewed between images, so it must only exceed the slowest single forward pass.
   */
  lockMs?: number;
  /** How often workers look for tasks whose lock expired (default 5 s). */
  stalledIntervalMs?: number;
  /** Times a task may be recovered from a dead worker before it counts as failed (default 3). */
  maxStalledCount?: number;
  /** Models kept loaded (default 2). */
  cachedModels?: number;
  log?: (msg: string) => void;
}

export interface DetectWorkerHandle {
  readonly worker: Worker<DetectTask>;
  readonly models: ModelCache;
  /** Lets the current task finish, then disconnects and disposes the models. */
  close(): Promise<void>;
}

class RunCancelled extends Error {}

/**
 * A queue worker: takes one detection task at a time (one per process; the model computes on this
 * process's thread), loads its model through the cache, runs the shared detect job over the task's
 * images and records each image's line in the run store. A retried task skips the images already
 * recorded. A task that throws is retried by BullMQ with backoff and reported as failed after its last
 * attempt.
 */
export async function startDetectWorker(opts: DetectWorkerOptions): Promise<DetectWorkerHandle> {
  const log = opts.log ?? (() => undefined);
  const lockMs = opts.lockMs ?? 30_000;
  const redis = new IORedis(redisOptions(opts.url, { maxRetriesPerRequest: null }));
  redis.on('error', (e) => log(`worker: redis: ${e.message}`));
  const store = new RunStore(redis);
  const models = new ModelCache(opts.loadDetector, opts.cachedModels ?? 2);

  const process = async (job: Job<DetectTask>, token?: string): Promise<string> => {
    const t = job.data;
    if ((await store.state(t.runId)) !== 'running') return 'run not running';
    const recorded = await store.recordedFiles(
      t.runId,
      t.items.map((i) => i.relative),
    );
    const todo = t.items.filter((i) => !recorded.has(i.relative));
    if (todo.length > 0) {
      const detector = await models.get(t.model);
      const imageIds = new Map<string, number>();
      for (const i of todo) if (i.imageId !== undefined) imageIds.set(i.relative, i.imageId);
      const skips: Promise<boolean>[] = [];
      try {
        await runDetectJob(detector, todo, {
          batchSize: t.batchSize,
          decode: opts.decode,
          imageIds,
          saveImagesDir: t.saveImagesDir,
          writer: {
            write: async (image, dets) => {
              if (!(await store.recordResult(t.runId, toNdjsonRecord(image, dets)))) throw new RunCancelled();
            },
          },
          onSkip: (item, reason) => skips.push(store.recordSkip(t.runId, item.relative, reason)),
          // A forward pass blocks this thread; renew the lock between batches, not only on BullMQ's timer.
          onProgress: () => void job.extendLock(token ?? '', lockMs).catch(() => undefined),
        });
      } catch (e) {
        if (e instanceof RunCancelled) return 'run cancelled';
        throw e;
      }
      await Promise.all(skips);
    }
    await store.recordChunk(t.runId, t.chunk);
    return `${todo.length} images`;
  };

  const worker = new Worker<DetectTask>(DETECT_QUEUE, process, {
    connection: redisOptions(opts.url, { maxRetriesPerRequest: null }),
    concurrency: 1,
    lockDuration: lockMs,
    stalledInterval: opts.stalledIntervalMs ?? 5000,
    maxStalledCount: opts.maxStalledCount ?? 3,
    name: `${hostname()}:${globalThis.process.pid}`,
  });
  worker.on('error', (e) => log(`worker: ${e.message}`));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const last = job.attemptsMade >= attempts;
    log(`worker: task ${job.id} failed (attempt ${job.attemptsMade}/${attempts}): ${err.message}`);
    if (last) void store.recordChunk(job.data.runId, job.data.chunk, err.message).catch(() => undefined);
  });
  worker.on('stalled', (jobId) => log(`worker: task ${jobId} stalled (its worker died?); queued again`));
  await worker.waitUntilReady();

  return {
    worker,
    models,
    async close() {
      await worker.close();
      await models.dispose();
      redis.disconnect();
    },
  };
}
