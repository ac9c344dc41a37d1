import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@resdet/nn';
import { backendCaps } from '@resdet/runtime';
import type { FasterRcnnConfig, GeneralizedRCNN } from '@resdet/detection';
import type { LoaderBatch } from '@resdet/data';
import type { GradientSource } from './trainer-ports';
import { ShardReplica, type ShardResult, type ShardTask } from './shard-replica';
import type { SamplerRngs } from './training-detector';
import type { ReplicaInit, ReplicaReply, ReplicaRequest } from './replica-worker-protocol';

/** The compiled worker entry beside this file (dist/); tests may point at another build. */
const WORKER_SCRIPT = path.join(__dirname, 'replica-worker.js');

export interface DataParallelOptions {
  /** The model being trained: the main thread's replica, and the source of every step's parameters. */
  model: GeneralizedRCNN;
  /** Its sampler generators (checkpointed): each shard's generators are forked from them in shard order. */
  rngs: SamplerRngs;
  /** What the worker replicas are built from. */
  modelConfig: FasterRcnnConfig;
  /** Images per shard; a batch of B images has ceil(B / shardSize) shards. */
  shardSize: number;
  /** The largest batch (sizes the shared gradient slots). */
  batchSize: number;
  /** Threads computing shards, this one included (1: the shards run one after another here). */
  workers: number;
  lossWeights?: Record<string, number>;
  freezeRpn?: boolean;
  workerScript?: string;
}

/** A replica thread died or could not start; the run stops with it (its last checkpoint stays as it was). */
export class ReplicaWorkerError extends Error {
  override name = 'ReplicaWorkerError';
}

interface Pending {
  resolve: (r: ShardResult) => void;
  reject: (e: Error) => void;
}

/**
 * Data-parallel gradients (PyTorch DDP's semantics on threads): a batch is cut into shards of `shardSize`
 * images, each shard's loss and gradients are computed by a replica — the main thread's model or a copy in a
 * worker thread with its own tensor engine — and the gradients are averaged, summed in shard order. Each shard
 * draws from sampler generators forked in shard order, BatchNorm uses the shard's own statistics (no SyncBN),
 * and the running statistics become the mean of the shards'. So a step's numbers depend on the batch and the
 * shard size, never on the worker count: 1, 2 or 8 workers give bit-identical weights. Parameters go to the
 * workers and gradients come back through shared memory, not messages.
 */
export class DataParallelGradients implements GradientSource<LoaderBatch> {
  private readonly replica: ShardReplica;
  private readonly slots: number;
  private readonly paramsBuffer: SharedArrayBuffer;
  private readonly gradsBuffer: SharedArrayBuffer;
  private threads: Worker[] = [];
  private started: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private step = 0;

  constructor(private readonly opts: DataParallelOptions) {
    if (!(Number.isInteger(opts.shardSize) && opts.shardSize >= 1)) {
      throw new Error(`shardSize must be an integer ≥ 1, got ${opts.shardSize}`);
    }
    this.replica = new ShardReplica(opts.model, opts.rngs, opts.lossWeights ?? {});
    this.slots = Math.ceil(opts.batchSize / opts.shardSize);
    const floats = this.replica.layout.size;
    this.paramsBuffer = new SharedArrayBuffer(floats * 4);
    this.gradsBuffer = new SharedArrayBuffer(this.slots * floats * 4);
  }

  /** Threads in use, this one included. */
  get workers(): number {
    return 1 + this.threads.length;
  }

  async compute(
    batch: LoaderBatch,
  ): Promise<{ losses: Record<string, number>; grads: Map<string, tf.Tensor> }> {
    if (this.failure) throw this.failure;
    await this.start();
    const { model, rngs, shardSize } = this.opts;
    const shards = splitBatch(batch, shardSize);
    if (shards.length > this.slots) {
      throw new Error(
        `a batch of ${batch.images.length} images is larger than the batch size the run planned`,
      );
    }
    // Forking advances the run's generators by one draw per shard, whoever computes the shards.
    const forks = shards.map(() => ({
      rpnSampler: rngs.rpnSampler.fork().getState(),
      boxSampler: rngs.boxSampler.fork().getState(),
    }));
    const runState = { rpnSampler: rngs.rpnSampler.getState(), boxSampler: rngs.boxSampler.getState() };
    const buffers = model.buffersStateDict();
    const step = this.step++;
    const size = this.replica.layout.size;
    if (this.threads.length) this.replica.writeParams(new Float32Array(this.paramsBuffer, 0, size));
    const executors = this.workers;
    const results: Promise<ShardResult>[] = [];
    try {
      shards.forEach((shard, slot) => {
        const worker = slot % executors;
        if (worker > 0)
          results[slot] = this.send(worker - 1, { step, slot, task: { shard, rng: forks[slot], buffers } });
      });
      for (let slot = 0; slot < shards.length; slot += executors) {
        const task: ShardTask = { shard: shards[slot], rng: forks[slot], buffers };
        const out = new Float32Array(this.gradsBuffer, slot * size * 4, size);
        results[slot] = Promise.resolve(await this.replica.compute(task, out));
      }
      const done = await Promise.all(results);
      model.loadStateDict(meanBuffers(done.map((r) => r.buffers)), { strict: false });
      return { losses: meanLosses(done), grads: this.meanGradients(done) };
    } catch (e) {
      // Whatever a replica left behind, the main model's buffers stay those of the step's start.
      if (buffers.size) model.loadStateDict(buffers, { strict: false });
      await Promise.allSettled(results);
      throw e;
    } finally {
      rngs.rpnSampler.setState(runState.rpnSampler);
      rngs.boxSampler.setState(runState.boxSampler);
    }
  }

  /** Ends the worker threads. */
  async dispose(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((w) => w.terminate()));
  }

  /** Starts the worker threads on the first step, so they copy the model as training begins (after resume). */
  private start(): Promise<void> {
    const n = Math.min(this.opts.workers, this.slots) - 1;
    if (n <= 0) return Promise.resolve();
    this.started ??= this.spawn(n);
    return this.started;
  }

  private async spawn(n: number): Promise<void> {
    const script = this.opts.workerScript ?? WORKER_SCRIPT;
    if (!existsSync(script)) {
      throw new ReplicaWorkerError(
        `training workers run the built worker: ${script} is missing (node tools/build.js)`,
      );
    }
    const state: StateDict = this.opts.model.stateDict();
    const base: Omit<ReplicaInit, 'index'> = {
      backend: tf.getBackend(),
      modelConfig: this.opts.modelConfig,
      state,
      freezeRpn: this.opts.freezeRpn ?? false,
      lossWeights: this.opts.lossWeights ?? {},
      trainableNames: this.replica.layout.names,
      params: this.paramsBuffer,
      grads: this.gradsBuffer,
    };
    const ready = Array.from({ length: n }, (_, i) => {
      const w = new Worker(script, { workerData: { ...base, index: i + 1 } satisfies ReplicaInit });
      this.threads.push(w);
      return new Promise<void>((resolve, reject) => {
        w.on('message', (m: ReplicaReply) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'init-error')
            reject(new ReplicaWorkerError(`training worker ${i + 1}: ${m.message}`));
          else this.settle(m);
        });
        const crashed = (why: string) => {
          const e = new ReplicaWorkerError(`training worker ${i + 1} stopped: ${why}`);
          reject(e);
          this.fail(e);
        };
        w.on('error', (e) => crashed(e.message));
        w.on('exit', (code) => {
          if (this.threads.includes(w)) crashed(`exit code ${code}`);
        });
      });
    });
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.dispose();
      throw e;
    }
  }

  private send(thread: number, req: Omit<ReplicaRequest, 'type'>): Promise<ShardResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(req.slot, { resolve, reject });
      this.threads[thread].postMessage({ type: 'shard', ...req } satisfies ReplicaRequest);
    });
  }

  private settle(m: Extract<ReplicaReply, { type: 'result' | 'error' }>): void {
    const p = this.pending.get(m.slot);
    if (!p) return;
    this.pending.delete(m.slot);
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(new Error(m.message));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** The mean of the shards' gradient slots, summed in shard order; parameters no shard reached get none. */
  private meanGradients(results: ShardResult[]): Map<string, tf.Tensor> {
    const { names, shapes, offsets, size } = this.replica.layout;
    const n = results.length;
    const grads = new Map<string, tf.Tensor>();
    names.forEach((name, p) => {
      if (!results.some((r) => r.hasGrad[p])) return;
      const len = shapes[p].reduce((a, b) => a * b, 1);
      // Straight from the shared slots into the parameter's own array: no step-sized copy in between.
      const slot = (s: number) => new Float32Array(this.gradsBuffer, (s * size + offsets[p]) * 4, len);
      const mean = slot(0).slice();
      for (let s = 1; s < n; s++) {
        const g = slot(s);
        for (let i = 0; i < len; i++) mean[i] += g[i];
      }
      if (n > 1) for (let i = 0; i < len; i++) mean[i] /= n;
      grads.set(name, tf.tensor(mean, shapes[p], 'float32'));
    });
    return grads;
  }
}

/** Consecutive shards of `size` images (the last may be smaller), in batch order. */
export function splitBatch(batch: LoaderBatch, size: number): LoaderBatch[] {
  const out: LoaderBatch[] = [];
  for (let i = 0; i < batch.images.length; i += size) {
    out.push({
      ...batch,
      images: batch.images.slice(i, i + size),
      targets: batch.targets.slice(i, i + size),
    });
  }
  return out;
}

/** Each loss term and `loss`, averaged over the shards in shard order. */
function meanLosses(results: ShardResult[]): Record<string, number> {
  const losses: Record<string, number> = {};
  for (const n of Object.keys(results[0].losses)) {
    losses[n] = results.reduce((a, r) => a + r.losses[n], 0) / results.length;
  }
  return losses;
}

/** The shards' float buffers (running statistics) averaged in shard order; counters from the first shard. */
function meanBuffers(all: StateDict[]): StateDict {
  const out: StateDict = new Map();
  for (const [name, first] of all[0]) {
    if (!(first.data instanceof Float32Array) || all.length === 1) {
      out.set(name, first);
      continue;
    }
    const data = new Float32Array(first.data.length);
    for (let i = 0; i < data.length; i++) {
      let s = 0;
      for (const sd of all) s += (sd.get(name)!.data as Float32Array)[i];
      data[i] = s / all.length;
    }
    out.set(name, { ...first, data });
  }
  return out;
}

/**
 * Threads for a run: `auto` is one per core on a single-threaded tensor backend (wasm, cpu: `backendCaps`), at most
 * one per shard, and 1 where the worker entry is not built; a number is taken as it is, capped by the shards.
 */
export function dataParallelWorkers(
  requested: number | 'auto' | undefined,
  shards: number,
  opts: { backend?: string; workerScript?: string } = {},
): number {
  if (typeof requested === 'number') return Math.max(1, Math.min(requested, shards));
  if (!backendCaps(opts.backend).singleThreaded) return 1;
  if (!existsSync(opts.workerScript ?? WORKER_SCRIPT)) return 1;
  return Math.max(1, Math.min(availableParallelism(), shards));
}
