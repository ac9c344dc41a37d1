import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@resdet/nn';
import { TrainingConfigError } from './errors';

/** Options of {@link Sgd}; names and defaults are torch.optim.SGD's (camelCase). */
export interface SgdOptions {
  /** `momentum` (torchvision detection reference: 0.9). 0 disables the momentum buffer. */
  momentum?: number;
  /** `dampening` (default 0). */
  dampening?: number;
  /** `weight_decay`, L2 added to the gradient (reference: 1e-4). */
  weightDecay?: number;
  /** `nesterov` (default false); needs momentum > 0 and dampening 0, as in torch. */
  nesterov?: boolean;
  /**
   * Parameters that get no weight decay (a torch param group with `weight_decay=0`): a predicate on
   * the parameter's torchvision name. The detection reference decays everything (the default).
   */
  noWeightDecay?: (name: string) => boolean;
  /**
   * Per-parameter learning-rate factor (torch param groups whose `lr` is a multiple of the base lr, scaled
   * alike by the schedule), e.g. 0.1 for the backbone when fine-tuning. Default 1 for every parameter.
   */
  lrMultiplier?: (name: string) => number;
}

/** Parameter names and tensors an optimizer updates (`Module.trainableParameters()`). */
export type NamedVariables = readonly (readonly [string, tf.Variable])[];

/** Gradients by parameter name; a missing name means "no gradient this step" (torch's `p.grad is None`). */
export type NamedGradients = ReadonlyMap<string, tf.Tensor>;

/** Key prefix of momentum buffers in {@link Sgd.stateDict}. */
export const MOMENTUM_BUFFER_PREFIX = 'momentum_buffer.';

/**
 * Stochastic gradient descent with exactly torch.optim.SGD's update (torch 1.13, `maximize=False`),
 * per parameter with a gradient:
 *
 *     d_p = g + weight_decay·p
 *     buf = d_p                                  (first step)
 *     buf = momentum·buf + (1 − dampening)·d_p   (later steps)
 *     d_p = nesterov ? d_p + momentum·buf : buf
 *     p  -= lr·d_p
 *
 * The learning rate is passed to every `step` (the schedule is a pure function of the iteration).
 * Momentum buffers are kept per parameter *name*, so they can be saved in a checkpoint and restored
 * into a freshly built model (`stateDict` / `loadStateDict`). Owns its buffers: call `dispose()`.
 *
 * @example
 * const opt = new Sgd(model.trainableParameters(), { momentum: 0.9, weightDecay: 1e-4 });
 * const { value, grads } = tf.variableGrads(() => loss(model));
 * opt.step(gradsByName, lr);   // gradsByName: Map<paramName, tf.Tensor>
 */
export class Sgd {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly noWeightDecay: (name: string) => boolean;
  private readonly lrMultiplier: (name: string) => number;
  private readonly params: Map<string, tf.Variable>;
  private readonly buffers = new Map<string, tf.Tensor>();

  constructor(params: NamedVariables, opts: SgdOptions = {}) {
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.noWeightDecay = opts.noWeightDecay ?? (() => false);
    this.lrMultiplier = opts.lrMultiplier ?? (() => 1);
    for (const [field, v] of [
      ['momentum', this.momentum],
      ['dampening', this.dampening],
      ['weightDecay', this.weightDecay],
    ] as const) {
      if (!Number.isFinite(v) || v < 0)
        throw new TrainingConfigError(`sgd.${field} must be a finite number ≥ 0, got ${v}`);
    }
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new TrainingConfigError(
        `sgd.nesterov needs momentum > 0 and dampening 0 (got momentum ${this.momentum}, dampening ${this.dampening})`,
      );
    }
    this.params = new Map();
    for (const [name, v] of params) {
      if (this.params.has(name)) throw new TrainingConfigError(`sgd: parameter "${name}" is listed twice`);
      const m = this.lrMultiplier(name);
      if (!Number.isFinite(m) || m < 0)
        throw new TrainingConfigError(
          `sgd: lr multiplier of "${name}" must be a finite number ≥ 0, got ${m}`,
        );
      this.params.set(name, v);
    }
  }

  /** Names of the parameters this optimizer updates, in registration order. */
  parameterNames(): string[] {
    return [...this.params.keys()];
  }

  /**
   * Applies one update with learning rate `lr`. Parameters without an entry in `grads` are left alone
   * (their momentum buffer too), as torch does for `p.grad is None`. Does not dispose `grads`.
   */
  step(grads: NamedGradients, lr: number): void {
    if (!Number.isFinite(lr) || lr < 0)
      throw new TrainingConfigError(`sgd.step: lr must be a finite number ≥ 0, got ${lr}`);
    for (const name of grads.keys()) {
      if (!this.params.has(name))
        throw new TrainingConfigError(`sgd.step: gradient for unknown parameter "${name}"`);
    }
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
        throw new TrainingConfigError(
          `sgd.step: gradient of "${name}" is [${g.shape}], parameter is [${p.shape}]`,
        );
      }
      const wd = this.noWeightDecay(name) ? 0 : this.weightDecay;
      const old = this.buffers.get(name);
      const [next, buf] = tf.tidy(() => {
        let dp: tf.Tensor = wd !== 0 ? tf.add(g, tf.mul(p, wd)) : g;
        let b: tf.Tensor | undefined;
        if (this.momentum !== 0) {
          b = old
            ? tf.add(tf.mul(old, this.momentum), this.dampening !== 0 ? tf.mul(dp, 1 - this.dampening) : dp)
            : dp.clone();
          dp = this.nesterov ? tf.add(dp, tf.mul(b, this.momentum)) : b;
        }
        return [tf.sub(p, tf.mul(dp, lr * this.lrMultiplier(name))), b] as const;
      });
      p.assign(next);
      next.dispose();
      if (buf) {
        old?.dispose();
        this.buffers.set(name, buf);
      }
    }
  }

  /**
   * Momentum buffers in host memory, keyed `momentum_buffer.<parameter name>` (parameters that never
   * had a gradient have none, like torch's lazily created state). Same layout as the parameters.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    for (const [name, b] of this.buffers) {
      sd.set(MOMENTUM_BUFFER_PREFIX + name, {
        dtype: 'float32',
        shape: [...b.shape],
        data: Float32Array.from(b.dataSync()),
      });
    }
    return sd;
  }

  /**
   * Restores momentum buffers written by `stateDict`. Every key is checked first (unknown parameter,
   * wrong shape → `TrainingConfigError`, nothing changed); buffers absent from `sd` are cleared.
   */
  loadStateDict(sd: StateDict, source = 'optimizer state'): void {
    const parsed: [string, tf.Tensor][] = [];
    for (const [key, h] of sd) {
      if (!key.startsWith(MOMENTUM_BUFFER_PREFIX))
        throw new TrainingConfigError(`${source}: unexpected key "${key}"`);
      const name = key.slice(MOMENTUM_BUFFER_PREFIX.length);
      const p = this.params.get(name);
      if (!p)
        throw new TrainingConfigError(
          `${source}: momentum buffer for unknown parameter "${name}" (model changed?)`,
        );
      if (h.shape.length !== p.shape.length || h.shape.some((d, i) => d !== p.shape[i])) {
        throw new TrainingConfigError(`${source}: ${key} is [${h.shape}], parameter is [${p.shape}]`);
      }
      if (!(h.data instanceof Float32Array))
        throw new TrainingConfigError(`${source}: ${key} must be float32, got ${h.dtype}`);
    }
    for (const [key, h] of sd)
      parsed.push([
        key.slice(MOMENTUM_BUFFER_PREFIX.length),
        tf.tensor(h.data as Float32Array, h.shape, 'float32'),
      ]);
    this.clearBuffers();
    for (const [name, t] of parsed) this.buffers.set(name, t);
  }

  private clearBuffers(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }

  /** Frees the momentum buffers (parameters belong to the model). */
  dispose(): void {
    this.clearBuffers();
  }
}
