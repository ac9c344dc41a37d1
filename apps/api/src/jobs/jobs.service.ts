import {
  Inject,
  Injectable,
  NotFoundException,
  OnModuleDestroy,
  Optional,
  ServiceUnavailableException,
} from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import { listImageFiles, type ModelSource } from '@resdet/inference';
import {
  DETECT_QUEUE,
  DetectRuns,
  describeModel,
  parseQueueUrl,
  redisOptions,
  RunNotFoundError,
  type QueueCounts,
  type RunEvent,
  type RunStatus,
} from '@resdet/queue';
import { ApiSettings } from '../config/api-settings';
import { MetricsService } from '../metrics/metrics.service';
import { API_SETTINGS, JOBS_MODEL } from '../tokens';
import { confineToDataRoot } from './data-root';
import type { CreateJobDto } from './dto/create-job.dto';

/**
 * Batch jobs over the queue: a job is a queued detect run over a folder under the data root, processed
 * by `resdet worker`s. Without a queue (no RESDET_QUEUE) or while Redis is unreachable, every call is a
 * 503 saying so; the rest of the API is unaffected.
 */
@Injectable()
export class JobsService implements OnModuleDestroy {
  private readonly runs?: DetectRuns;
  private readonly redis?: Redis;

  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    @Optional() @Inject(JOBS_MODEL) private readonly model: ModelSource | undefined,
    metrics: MetricsService,
    @Optional() @InjectQueue(DETECT_QUEUE) queue?: Queue,
  ) {
    if (queue && settings.queueUrl) {
      queue.on('error', () => undefined); // reported by /health and as 503s, not as crashes
      this.redis = new IORedis(
        redisOptions(parseQueueUrl(settings.queueUrl), {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
        }),
      );
      this.redis.on('error', () => undefined);
      this.runs = new DetectRuns(queue, this.redis);
    }
    const counts = () => this.counts().catch(() => undefined);
    new Gauge({
      name: 'resdet_jobs_queue_depth',
      help: 'Queued detection tasks by state (waiting, active, delayed = retrying, failed)',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
      async collect() {
        const c = await counts();
        for (const s of ['waiting', 'active', 'delayed', 'failed'] as const)
          this.set({ state: s }, c?.[s] ?? 0);
      },
    });
    new Gauge({
      name: 'resdet_jobs_workers',
      help: 'Queue workers connected to Redis',
      registers: [metrics.registry],
      async collect() {
        this.set((await counts())?.workers ?? 0);
      },
    });
  }

  /** Redis state for /health: disabled (no queue configured), up, or down with the reason. */
  async redisHealth(): Promise<{ status: 'disabled' | 'up' | 'down'; url?: string; error?: string }> {
    if (!this.redis || !this.settings.queueUrl) return { status: 'disabled' };
    const url = parseQueueUrl(this.settings.queueUrl).display;
    try {
      await withTimeout(this.redis.ping(), 1000);
      return { status: 'up', url };
    } catch (e) {
      return { status: 'down', url, error: (e as Error).message };
    }
  }

  async create(dto: CreateJobDto): Promise<{ id: string; images: number }> {
    const runs = await this.ready();
    const root = this.dataRoot();
    const input = await confineToDataRoot(root, dto.input, 'input');
    const weights = dto.model ? await confineToDataRoot(root, dto.model, 'model') : undefined;
    const base: ModelSource | undefined = weights ? { weights } : this.model;
    if (!base || (!base.weights && !base.config && !base.arch)) {
      throw new ServiceUnavailableException('no model: pass "model" (weights under the data root)');
    }
    const source: ModelSource = {
      ...base,
      ...(dto.scoreThreshold !== undefined ? { scoreThreshold: dto.scoreThreshold } : {}),
      ...(dto.maxDetections !== undefined ? { maxDetections: dto.maxDetections } : {}),
    };
    const items = await listImageFiles([input]);
    const id = await runs.submit({ items, model: await describeModel(source), chunkSize: dto.chunkSize });
    return { id, images: items.length };
  }

  async status(id: string): Promise<RunStatus> {
    const runs = await this.ready();
    return this.found(() => runs.status(id));
  }

  /** The run's recorded results (NDJSON records) so far, in arrival order. */
  async *results(id: string): AsyncGenerator<RunEvent> {
    const runs = await this.ready();
    await this.status(id); // 404 before the first byte is sent
    yield* runs.follow(id, { wait: false });
  }

  async cancel(id: string): Promise<RunStatus> {
    const runs = await this.ready();
    await this.found(() => runs.cancel(id));
    return runs.status(id);
  }

  counts(): Promise<QueueCounts | undefined> {
    if (!this.runs || this.redis?.status !== 'ready') return Promise.resolve(undefined);
    return withTimeout(this.runs.counts(), 1000);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  /** The queue client, once connected (a fresh or reconnecting connection gets a second). */
  private async ready(): Promise<DetectRuns> {
    if (!this.runs || !this.settings.queueUrl) {
      throw new ServiceUnavailableException(
        'batch jobs need a Redis queue: start the server with --queue redis://HOST:PORT (or RESDET_QUEUE) and run `resdet worker`s',
      );
    }
    const redis = this.redis!;
    if (redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          redis.removeListener('ready', done);
          resolve();
        };
        const t = setTimeout(done, 1000);
        redis.once('ready', done);
      });
    }
    if (redis.status !== 'ready') {
      throw new ServiceUnavailableException(
        `the job queue at ${parseQueueUrl(this.settings.queueUrl).display} is unreachable (Redis ${this.redis?.status})`,
      );
    }
    return this.runs;
  }

  private dataRoot(): string {
    if (!this.settings.dataRoot) {
      throw new ServiceUnavailableException(
        'batch jobs need a data root: set RESDET_DATA_ROOT (or --data-root)',
      );
    }
    return this.settings.dataRoot;
  }

  private async found<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RunNotFoundError) throw new NotFoundException(e.message);
      throw e;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e as Error)),
    );
  });
}
