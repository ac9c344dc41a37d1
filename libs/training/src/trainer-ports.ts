import type * as tf from '@tensorflow/tfjs-core';
import type { LoadStateDictOptions, StateDict } from '@resdet/nn';
import type { NamedGradients } from './sgd';

/**
 * What the trainer needs from a model. `@resdet/nn` Modules provide everything but `computeLosses`,
 * whose batch type is the model's own; see {@link trainableModule} to adapt a detector whose
 * `computeLosses(images, targets)` takes two arguments.
 */
export interface TrainableModel<B> {
  /** Parameters the optimizer updates (torchvision names), e.g. `Module.trainableParameters()`. */
  trainableParameters(): [string, tf.Variable][];
  /** Named scalar losses for one batch; the trainer minimises their sum. Called inside `tf.variableGrads`. */
  computeLosses(batch: B): Record<string, tf.Scalar>;
  /**
   * Optional asynchronous preparation before `computeLosses` (which must stay synchronous inside
   * `tf.variableGrads`): a model whose loss needs host-side decisions read from the device (e.g. a detector's
   * proposals on webgpu, where reads are async only) makes them here. Returns the batch to pass to
   * `computeLosses` and what to free after the step.
   */
  prepare?(batch: B): Promise<{ batch: B; dispose(): void }>;
  /** Parameters and buffers (e.g. BatchNorm running stats) for checkpoints. */
  stateDict(): StateDict;
  loadStateDict(sd: StateDict, opts?: LoadStateDictOptions): unknown;
  /** Train/eval mode switch (BatchNorm, RPN top-n); the trainer sets train mode before each step. */
  train?(mode?: boolean): unknown;
}

/**
 * An endless, resumable source of batches (the data loader starts the next epoch by itself). Its
 * state must describe the batch the *next* `next()` call returns — a loader that decodes ahead must
 * report the position of what it has handed out, not of what it has prefetched — including its
 * shuffling/augmentation RNG states, so that `setState(getState())` in a fresh process yields the
 * same batches.
 */
export interface BatchStream<B> {
  next(): B | Promise<B>;
  /** JSON-serialisable position. */
  getState(): unknown;
  setState(state: unknown): void;
  /** Images in a batch (for images/s); default 1. */
  batchSize?(batch: B): number;
  /** Frees a batch after its step; default: disposes every tf.Tensor found in plain objects/arrays. */
  release?(batch: B): void;
}

/** An optimizer the trainer can drive and checkpoint ({@link Sgd} is one). */
export interface Optimizer {
  step(grads: NamedGradients, lr: number): void;
  stateDict(): StateDict;
  loadStateDict(sd: StateDict, source?: string): void;
}

/**
 * Adapts a Module-like model and a loss function to {@link TrainableModel}.
 *
 * @example
 * const trainable = trainableModule(detector, (m, b: DetectionBatch) => m.computeLosses(b.images, b.targets));
 */
export function trainableModule<M extends Omit<TrainableModel<never>, 'computeLosses' | 'prepare'>, B>(
  module: M,
  lossFn: (module: M, batch: B) => Record<string, tf.Scalar>,
  prepareFn?: (module: M, batch: B) => Promise<{ batch: B; dispose(): void }>,
): TrainableModel<B> {
  return {
    trainableParameters: () => module.trainableParameters(),
    computeLosses: (batch) => lossFn(module, batch),
    ...(prepareFn ? { prepare: (batch: B) => prepareFn(module, batch) } : {}),
    stateDict: () => module.stateDict(),
    loadStateDict: (sd, opts) => module.loadStateDict(sd, opts),
    train: (mode) => module.train?.(mode),
  };
}

/**
 * Computes a step's losses and gradients somewhere other than the trainer's model (data-parallel replicas). The
 * model's parameters must be read at call time: the trainer steps them between calls.
 */
export interface GradientSource<B> {
  /**
   * `losses`: each unweighted term and `loss`, the optimised sum; `grads`: by parameter name, owned by the
   * caller (the trainer disposes them). `iteration` is the 0-based step.
   */
  compute(
    batch: B,
    iteration: number,
  ): Promise<{ losses: Record<string, number>; grads: Map<string, tf.Tensor> }>;
}
