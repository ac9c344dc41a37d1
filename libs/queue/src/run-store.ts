import type { Redis } from 'ioredis';
import type { NdjsonImageRecord } from '@resdet/inference';

/** Where a queued run stands. `done` also covers runs whose failed tasks are reported in `errors`. */
export type RunState = 'running' | 'done' | 'cancelled';

export interface RunStatus {
  id: string;
  state: RunState;
  /** Images enqueued. */
  total: number;
  processed: number;
  skipped: number;
  detections: number;
  /** Tasks (chunks of images) in the run, finished, and failed after their retries. */
  chunks: number;
  chunksDone: number;
  chunksFailed: number;
  /** Images with no outcome in a failed task (known once the run has ended). */
  failedImages: number;
  errors: { chunk: number; error: string; files: string[] }[];
  skips: { file: string; reason: string }[];
  createdAt: string;
  finishedAt?: string;
  /** Wall time from enqueue to end (or to now). */
  seconds: number;
}

/** One entry of a run's event stream, as workers append them. */
export type RunEvent =
  | { kind: 'result'; file: string; record: NdjsonImageRecord }
  | { kind: 'skip'; file: string; reason: string }
  | { kind: 'chunk'; chunk: number; error?: string }
  | { kind: 'end'; state: RunState };

/** How long a finished run's keys stay in Redis (results can be fetched with `jobs results` until then). */
export const RUN_TTL_SECONDS = 7 * 24 * 3600;

// All of a run's keys share one hash tag, so the scripts stay valid on a Redis Cluster.
const keysOf = (id: string) => {
  const p = `resdet:run:{${id}}`;
  return {
    meta: `${p}:meta`,
    files: `${p}:files`,
    chunks: `${p}:chunks`,
    events: `${p}:events`,
    order: `${p}:order`,
    errors: `${p}:errors`,
    skips: `${p}:skips`,
  };
};
const allKeys = (id: string) => Object.values(keysOf(id));

const EXPIRE_ALL = `
local function expire_all(ttl)
  for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
end
`;

// KEYS: all run keys (meta, files, chunks, events, order, errors, skips)
// ARGV: file, kind ('r' result | 's' skip), data (NDJSON line | reason), detections
// → 1 recorded, 0 already recorded (a retried task), -1 run cancelled
const RECORD_IMAGE = `
if redis.call('HGET', KEYS[1], 'state') == 'cancelled' then return -1 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[4], '*', 'k', ARGV[2], 'f', ARGV[1], 'd', ARGV[3])
if ARGV[2] == 'r' then
  redis.call('HINCRBY', KEYS[1], 'processed', 1)
  redis.call('HINCRBY', KEYS[1], 'detections', tonumber(ARGV[4]))
else
  redis.call('HINCRBY', KEYS[1], 'skipped', 1)
  redis.call('HSET', KEYS[7], ARGV[1], ARGV[3])
end
return 1
`;

// ARGV: chunk, error ('' = success), now (ms), ttl → 1 recorded, 0 already recorded
const RECORD_CHUNK = `${EXPIRE_ALL}
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return 0 end
if ARGV[2] == '' then
  redis.call('HINCRBY', KEYS[1], 'chunksDone', 1)
else
  redis.call('HINCRBY', KEYS[1], 'chunksFailed', 1)
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[2])
end
redis.call('XADD', KEYS[4], '*', 'k', 'c', 'f', ARGV[1], 'd', ARGV[2])
local finished = redis.call('SCARD', KEYS[3])
if finished >= tonumber(redis.call('HGET', KEYS[1], 'chunks')) and redis.call('HGET', KEYS[1], 'state') == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'finished', ARGV[3])
  redis.call('XADD', KEYS[4], '*', 'k', 'e', 'f', '', 'd', 'done')
  expire_all(tonumber(ARGV[4]))
end
return 1
`;

// ARGV: now (ms), ttl → 1 cancelled, 0 not running
const CANCEL = `${EXPIRE_ALL}
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished', ARGV[1])
redis.call('XADD', KEYS[4], '*', 'k', 'e', 'f', '', 'd', 'cancelled')
expire_all(tonumber(ARGV[2]))
return 1
`;

type Scripted = Redis & {
  resdetRecordImage(...args: (string | number)[]): Promise<number>;
  resdetRecordChunk(...args: (string | number)[]): Promise<number>;
  resdetCancel(...args: (string | number)[]): Promise<number>;
};

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
  constructor(readonly runId: string) {
    super(
      `no queued run "${runId}" (unknown id, or its results expired after ${RUN_TTL_SECONDS / 86400} days)`,
    );
  }
}

/**
 * A run's state in Redis, beside BullMQ's own keys: counters, the set of files with an outcome, and an
 * append-only event stream (one entry per image, per finished task, and one at the end). Every write is
 * a Lua script that first adds the file (or task) to a set, so a task retried after a worker died can
 * never record an image twice, and the stream stays replayable for any number of readers.
 */
export class RunStore {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    this.redis = redis as Scripted;
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 7, lua });
    };
    define('resdetRecordImage', RECORD_IMAGE);
    define('resdetRecordChunk', RECORD_CHUNK);
    define('resdetCancel', CANCEL);
  }

  /** Creates a run's records; `order` is every image's result name, in input order. */
  async create(
    id: string,
    run: { order: readonly string[]; chunks: number; chunkSize: number; model: string },
  ): Promise<void> {
    const k = keysOf(id);
    const tx = this.redis.multi();
    tx.hset(k.meta, {
      state: 'running',
      total: run.order.length,
      chunks: run.chunks,
      chunkSize: run.chunkSize,
      model: run.model,
      created: Date.now(),
      processed: 0,
      skipped: 0,
      detections: 0,
      chunksDone: 0,
      chunksFailed: 0,
    });
    for (let i = 0; i < run.order.length; i += 10_000) tx.rpush(k.order, ...run.order.slice(i, i + 10_000));
    // An empty run has nothing to wait for.
    if (run.chunks === 0) {
      tx.hset(k.meta, { state: 'done', finished: Date.now() });
      tx.xadd(k.events, '*', 'k', 'e', 'f', '', 'd', 'done');
    }
    await tx.exec();
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(keysOf(id).meta)) === 1;
  }

  async state(id: string): Promise<RunState | undefined> {
    return ((await this.redis.hget(keysOf(id).meta, 'state')) ?? undefined) as RunState | undefined;
  }

  /** Records one processed image; false when the run was cancelled (the worker stops). */
  async recordResult(id: string, record: NdjsonImageRecord): Promise<boolean> {
    const r = await this.redis.resdetRecordImage(
      ...allKeys(id),
      record.file_name,
      'r',
      JSON.stringify(record),
      record.detections.length,
    );
    return r !== -1;
  }

  async recordSkip(id: string, file: string, reason: string): Promise<boolean> {
    return (await this.redis.resdetRecordImage(...allKeys(id), file, 's', reason, 0)) !== -1;
  }

  /** Marks a task finished (error = failed after its retries); the last one ends the run. */
  async recordChunk(id: string, chunk: number, error?: string): Promise<void> {
    await this.redis.resdetRecordChunk(...allKeys(id), chunk, error ?? '', Date.now(), RUN_TTL_SECONDS);
  }

  async cancel(id: string): Promise<boolean> {
    if (!(await this.exists(id))) throw new RunNotFoundError(id);
    return (await this.redis.resdetCancel(...allKeys(id), Date.now(), RUN_TTL_SECONDS)) === 1;
  }

  /** Which of `files` already have an outcome (a retried task skips them). */
  async recordedFiles(id: string, files: readonly string[]): Promise<Set<string>> {
    if (files.length === 0) return new Set();
    const hits = await this.redis.smismember(keysOf(id).files, ...files);
    return new Set(files.filter((_, i) => hits[i] === 1));
  }

  /** Tasks of the run not yet finished (for reconciling with BullMQ's job states). */
  async unfinishedChunks(id: string): Promise<number[]> {
    const k = keysOf(id);
    const [chunks, done] = await Promise.all([
      this.redis.hget(k.meta, 'chunks'),
      this.redis.smembers(k.chunks),
    ]);
    const finished = new Set(done.map(Number));
    return Array.from({ length: Number(chunks ?? 0) }, (_, i) => i).filter((i) => !finished.has(i));
  }

  /** Every image name of the run, in input order. */
  async order(id: string): Promise<string[]> {
    return this.redis.lrange(keysOf(id).order, 0, -1);
  }

  async status(id: string): Promise<RunStatus> {
    const k = keysOf(id);
    const meta = await this.redis.hgetall(k.meta);
    if (!meta.state) throw new RunNotFoundError(id);
    const [errors, skips] = await Promise.all([this.redis.hgetall(k.errors), this.redis.hgetall(k.skips)]);
    const n = (f: string) => Number(meta[f] ?? 0);
    const chunkSize = n('chunkSize');
    const errorList = await Promise.all(
      Object.entries(errors)
        .map(([c, error]) => ({ chunk: Number(c), error }))
        .sort((a, b) => a.chunk - b.chunk)
        .map(async ({ chunk, error }) => {
          const names = await this.redis.lrange(k.order, chunk * chunkSize, (chunk + 1) * chunkSize - 1);
          const recorded = await this.recordedFiles(id, names);
          return { chunk, error, files: names.filter((f) => !recorded.has(f)) };
        }),
    );
    const state = meta.state as RunState;
    const total = n('total');
    const finished = meta.finished ? Number(meta.finished) : undefined;
    return {
      id,
      state,
      total,
      processed: n('processed'),
      skipped: n('skipped'),
      detections: n('detections'),
      chunks: n('chunks'),
      chunksDone: n('chunksDone'),
      chunksFailed: n('chunksFailed'),
      failedImages: errorList.reduce((s, e) => s + e.files.length, 0),
      errors: errorList,
      skips: Object.entries(skips).map(([file, reason]) => ({ file, reason })),
      createdAt: new Date(n('created')).toISOString(),
      finishedAt: finished ? new Date(finished).toISOString() : undefined,
      seconds: ((finished ?? Date.now()) - n('created')) / 1000,
    };
  }

  /**
   * Events after stream id `from` ('0' = from the start), waiting up to `blockMs` for new ones (0 = do not
   * wait). Use a connection of its own when blocking: a blocked connection serves nobody else.
   */
  async readEvents(
    id: string,
    from: string,
    opts: { blockMs?: number; count?: number } = {},
  ): Promise<{ last: string; events: RunEvent[] }> {
    const key = keysOf(id).events;
    const count = opts.count ?? 1000;
    const reply = (
      opts.blockMs
        ? await this.redis.xread('COUNT', count, 'BLOCK', opts.blockMs, 'STREAMS', key, from)
        : await this.redis.xread('COUNT', count, 'STREAMS', key, from)
    ) as [string, [string, string[]][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    const events = entries.map(([, fields]) => toEvent(fields));
    return { last: entries.length ? entries[entries.length - 1][0] : from, events };
  }
}

function toEvent(fields: string[]): RunEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  switch (f.k) {
    case 'r':
      return { kind: 'result', file: f.f, record: JSON.parse(f.d) as NdjsonImageRecord };
    case 's':
      return { kind: 'skip', file: f.f, reason: f.d };
    case 'c':
      return { kind: 'chunk', chunk: Number(f.f), ...(f.d ? { error: f.d } : {}) };
    default:
      return { kind: 'end', state: f.d as RunState };
  }
}
