import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@resdet/random';
import type { CheckpointStore, TrainingCheckpoint, TrainingState } from './checkpoint-store';
import { TrainingConfigError, TrainingDivergedError } from './errors';
import { clipGradNorm } from './grad-clip';
import { LossHistory, LossPoint } from './loss-history';
import type { LrSchedule } from './lr-schedule';
import { stepLossesAndGrads } from './loss-and-grads';
import type { BatchStream, GradientSource, Optimizer, TrainableModel } from './trainer-ports';

/** Events for logs and progress bars (the trainer itself prints nothing). */
export type TrainerEvent =
  | {
      type: 'iteration';
      /** Completed iterations (1-based). */
      iteration: number;
      lr: number;
      /** Each loss term and `loss`, their sum. */
      losses: Record<string, number>;
      /** Global L2 norm of the gradients before clipping (only when clipping is on). */
      gradNorm?: number;
      images: number;
      seconds: number;
      imagesPerSecond: number;
    }
  | { type: 'checkpoint'; iteration: number; location: string; reason: 'periodic' | 'interrupt' | 'final' }
  | { type: 'evaluation'; iteration: number; metrics: Record<string, number>; best: boolean }
  | { type: 'resumed'; iteration: number; location: string }
  | { type: 'stopped'; iteration: number; reason: 'completed' | 'aborted' };

export interface TrainerOptions<B> {
  model: TrainableModel<B>;
  data: BatchStream<B>;
  optimizer: Optimizer;
  /** Learning rate of each 0-based iteration. */
  lr: LrSchedule;
  /** Total iterations of the schedule (the run stops there). */
  maxIterations: number;
  /** Clip gradients to this global L2 norm (torch clip_grad_norm_); off when undefined. */
  clipGradNorm?: number;
  /**
   * Weight of named loss terms in the optimised sum (Detectron2's `*_LOSS_WEIGHT`, mmdetection's `loss_weight`);
   * terms not named weigh 1. A name the model does not return is an error at the first step.
   */
  lossWeights?: Record<string, number>;
  /** Periodic checkpoints every `every` iterations, plus one at the end and on abort. */
  checkpoint?: { store: CheckpointStore; every: number };
  /** Periodic evaluation every `every` iterations and at the end; `best` picks the metric that keeps `best.*`. */
  evaluation?: {
    every: number;
    evaluate: (ctx: { iteration: number }) => Promise<Record<string, number>>;
    best?: { metric: string; mode?: 'max' | 'min' };
  };
  /** Generators whose state is checkpointed by name (e.g. the model's sampler RNG). */
  rngs?: Record<string, Rng>;
  /** Abort (the CLI wires SIGINT/SIGTERM): the trainer writes a checkpoint after the current step and returns. */
  signal?: AbortSignal;
  onEvent?: (e: TrainerEvent) => void;
  /** Loss-curve granularity: one history point per this many iterations (default 10). */
  historyEvery?: number;
  /**
   * Where each step's losses and gradients come from instead of the model on this thread (data-parallel
   * replicas, see `DataParallelGradients`); the trainer still checks, clips and steps.
   */
  gradients?: GradientSource<B>;
}

export interface TrainResult {
  /** Completed iterations. */
  iteration: number;
  reason: 'completed' | 'aborted';
  history: LossPoint[];
  evaluations: { iteration: number; metrics: Record<string, number> }[];
  best?: { metric: string; value: number; iteration: number };
  /** Location of the last checkpoint written (if any). */
  lastCheckpoint?: string;
}

/**
 * The training loop (torchvision's `train_one_epoch`, by iteration): for each batch, the gradient of
 * the summed loss terms (`tf.variableGrads`), a NaN/Inf check (→ {@link TrainingDivergedError}, no
 * step, no checkpoint), optional clipping, an optimizer step at `lr(iteration)`, and disposal of
 * everything the step made (`tf.memory().numTensors` stays flat). Checkpoints, evaluations and the
 * loss history are periodic; `resume()` restores parameters, buffers, optimizer state, iteration,
 * RNG states and the data position so the run continues exactly as an uninterrupted one.
 *
 * @example
 * const trainer = new Trainer({ model, data, optimizer: new Sgd(model.trainableParameters(), { momentum: 0.9, weightDecay: 1e-4 }),
 *   lr: warmupMultiStepLr({ baseLr: 0.02, warmupIters: 500, milestones: [8000] }), maxIterations: 9000,
 *   checkpoint: { store: new DirectoryCheckpointStore({ dir }), every: 500 }, signal });
 * await trainer.resume();        // no-op when the store is empty
 * const result = await trainer.run();
 */
export class Trainer<B> {
  private iter = 0;
  private history: LossHistory;
  private evaluations: TrainResult['evaluations'] = [];
  private best: TrainResult['best'];
  private lastCheckpoint: string | undefined;
  private readonly params: [string, tf.Variable][];

  constructor(private readonly opts: TrainerOptions<B>) {
    const { maxIterations, checkpoint, evaluation, clipGradNorm: clip } = opts;
    if (!Number.isInteger(maxIterations) || maxIterations < 0) {
      throw new TrainingConfigError(`train.maxIterations must be an integer ≥ 0, got ${maxIterations}`);
    }
    if (checkpoint && !(Number.isInteger(checkpoint.every) && checkpoint.every > 0)) {
      throw new TrainingConfigError(`train.checkpoint.every must be an integer ≥ 1, got ${checkpoint.every}`);
    }
    if (evaluation && !(Number.isInteger(evaluation.every) && evaluation.every > 0)) {
      throw new TrainingConfigError(`train.evaluation.every must be an integer ≥ 1, got ${evaluation.every}`);
    }
    if (clip !== undefined && !(clip > 0))
      throw new TrainingConfigError(`train.clipGradNorm must be > 0, got ${clip}`);
    this.history = new LossHistory(opts.historyEvery ?? 10);
    const params = opts.model.trainableParameters();
    if (!params.length)
      throw new TrainingConfigError('train: the model has no trainable parameters (all frozen?)');
    this.params = params;
  }

  /** Completed iterations (the next step runs 0-based iteration `iteration`). */
  get iteration(): number {
    return this.iter;
  }

  get lossHistory(): readonly LossPoint[] {
    return this.history.points;
  }

  /** Loads the store's latest checkpoint if there is one; returns whether it did. */
  async resume(): Promise<boolean> {
    const store = this.opts.checkpoint?.store;
    if (!store) throw new TrainingConfigError('train.resume needs a checkpoint store');
    const found = await store.loadLatest();
    if (!found) return false;
    this.restore(found.ckpt, found.location);
    this.opts.onEvent?.({ type: 'resumed', iteration: this.iter, location: found.location });
    return true;
  }

  /** Restores a checkpoint's model, optimizer, iteration, RNGs, data position, history and best. */
  restore(ckpt: TrainingCheckpoint, location = 'checkpoint'): void {
    const s = ckpt.state;
    const rngs = this.opts.rngs ?? {};
    const missing = Object.keys(rngs).filter((k) => typeof s.rng?.[k] !== 'number');
    if (missing.length)
      throw new TrainingConfigError(`${location}: no state for RNG(s) ${missing.join(', ')}`);
    this.opts.model.loadStateDict(ckpt.model, { strict: true });
    this.opts.optimizer.loadStateDict(ckpt.optimizer, location);
    for (const [k, r] of Object.entries(rngs)) r.setState(s.rng[k]);
    this.opts.data.setState(s.data);
    this.iter = s.iteration;
    this.history = LossHistory.fromJSON(s.history);
    this.evaluations = s.evaluations.map((e) => ({ iteration: e.iteration, metrics: { ...e.metrics } }));
    this.best = s.best ? { ...s.best } : undefined;
    this.lastCheckpoint = location;
  }

  /** A checkpoint of the current state (host copies); `withOptimizer: false` leaves the optimizer state empty. */
  snapshot(withOptimizer = true): TrainingCheckpoint {
    const rng: Record<string, number> = {};
    for (const [k, r] of Object.entries(this.opts.rngs ?? {})) rng[k] = r.getState();
    const state: TrainingState = {
      iteration: this.iter,
      rng,
      data: this.opts.data.getState(),
      history: this.history.toJSON(),
      best: this.best ? { ...this.best } : undefined,
      evaluations: this.evaluations.map((e) => ({ iteration: e.iteration, metrics: { ...e.metrics } })),
    };
    return {
      model: this.opts.model.stateDict(),
      optimizer: withOptimizer ? this.opts.optimizer.stateDict() : new Map(),
      state,
    };
  }

  /** Trains until `maxIterations` or abort. Throws {@link TrainingDivergedError} on a non-finite loss. */
  async run(): Promise<TrainResult> {
    const { maxIterations, checkpoint, evaluation, signal } = this.opts;
    let savedAt = -1;
    let evaluatedAt = this.evaluations.length ? this.evaluations[this.evaluations.length - 1].iteration : -1;
    while (this.iter < maxIterations) {
      // Let signal handlers and timers run even when every await in a step resolves synchronously.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        if (checkpoint && savedAt !== this.iter) await this.save('interrupt');
        return this.finish('aborted');
      }
      await this.step();
      if (evaluation && this.iter % evaluation.every === 0) {
        await this.evaluate();
        evaluatedAt = this.iter;
      }
      if (checkpoint && this.iter % checkpoint.every === 0) {
        await this.save('periodic');
        savedAt = this.iter;
      }
    }
    if (evaluation && evaluatedAt !== this.iter) await this.evaluate();
    if (checkpoint && savedAt !== this.iter) await this.save('final');
    return this.finish('completed');
  }

  /** One optimizer step on the next batch (iteration `this.iteration`, 0-based). */
  async step(): Promise<void> {
    const { data, optimizer } = this.opts;
    const t0 = performance.now();
    const batch = await data.next();
    const lr = this.opts.lr(this.iter);
    let gradNorm: number | undefined;
    let losses: Record<string, number>;
    try {
      const { losses: values, grads } = await this.lossesAndGrads(batch);
      try {
        losses = values;
        if (!Object.values(losses).every(Number.isFinite)) {
          throw new TrainingDivergedError(this.iter, losses, this.lastCheckpoint);
        }
        if (this.opts.clipGradNorm !== undefined) {
          const clipped = await clipGradNorm(grads, this.opts.clipGradNorm);
          gradNorm = clipped.totalNorm;
          try {
            optimizer.step(clipped.grads, lr);
          } finally {
            tf.dispose([...clipped.grads.values()]);
          }
        } else {
          optimizer.step(grads, lr);
        }
      } finally {
        tf.dispose([...grads.values()]);
      }
    } finally {
      if (data.release) data.release(batch);
      else disposeTensors(batch);
    }
    this.iter++;
    this.history.add(this.iter, lr, losses);
    const seconds = (performance.now() - t0) / 1000;
    const images = data.batchSize?.(batch) ?? 1;
    this.opts.onEvent?.({
      type: 'iteration',
      iteration: this.iter,
      lr,
      losses,
      gradNorm,
      images,
      seconds,
      imagesPerSecond: images / seconds,
    });
  }

  /** The batch's loss terms, `loss` (the optimised sum) and gradients, from `gradients` or the model here. */
  private lossesAndGrads(
    batch: B,
  ): Promise<{ losses: Record<string, number>; grads: Map<string, tf.Tensor> }> {
    const { gradients, model, lossWeights } = this.opts;
    if (gradients) return gradients.compute(batch, this.iter);
    return stepLossesAndGrads(model, batch, this.params, lossWeights);
  }

  private async evaluate(): Promise<void> {
    const { evaluation, checkpoint, model } = this.opts;
    if (!evaluation) return;
    let metrics: Record<string, number>;
    try {
      metrics = await evaluation.evaluate({ iteration: this.iter });
    } finally {
      model.train?.(true);
    }
    this.evaluations.push({ iteration: this.iter, metrics: { ...metrics } });
    let isBest = false;
    const sel = evaluation.best;
    if (sel) {
      const v = metrics[sel.metric];
      if (typeof v !== 'number') {
        throw new TrainingConfigError(
          `train.evaluation.best.metric "${sel.metric}" is not among the metrics: ${Object.keys(metrics).join(', ')}`,
        );
      }
      const better =
        (sel.mode ?? 'max') === 'max' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
      if (Number.isFinite(v) && (!this.best || better(v, this.best.value))) {
        this.best = { metric: sel.metric, value: v, iteration: this.iter };
        isBest = true;
        if (checkpoint) {
          // The best file is weights only: skip reading the optimizer state back from the device.
          const { model: weights, state } = this.snapshot(false);
          await checkpoint.store.saveBest({ model: weights, optimizer: new Map(), state }, metrics);
        }
      }
    }
    this.opts.onEvent?.({ type: 'evaluation', iteration: this.iter, metrics, best: isBest });
  }

  private async save(reason: 'periodic' | 'interrupt' | 'final'): Promise<void> {
    const store = this.opts.checkpoint!.store;
    const location = await store.save(this.snapshot());
    this.lastCheckpoint = location;
    this.opts.onEvent?.({ type: 'checkpoint', iteration: this.iter, location, reason });
  }

  private finish(reason: 'completed' | 'aborted'): TrainResult {
    this.opts.onEvent?.({ type: 'stopped', iteration: this.iter, reason });
    return {
      iteration: this.iter,
      reason,
      history: [...this.history.points],
      evaluations: this.evaluations.map((e) => ({ ...e })),
      best: this.best ? { ...this.best } : undefined,
      lastCheckpoint: this.lastCheckpoint,
    };
  }
}

/** Disposes every tf.Tensor reachable through plain objects, arrays and Maps (not typed arrays). */
export function disposeTensors(x: unknown): void {
  if (x instanceof tf.Tensor) {
    x.dispose();
  } else if (Array.isArray(x)) {
    for (const v of x) disposeTensors(v);
  } else if (x instanceof Map) {
    for (const v of x.values()) disposeTensors(v);
  } else if (x !== null && typeof x === 'object' && !ArrayBuffer.isView(x)) {
    for (const v of Object.values(x)) disposeTensors(v);
  }
}
