import * as tf from '@tensorflow/tfjs-core';
import { ChannelAffine } from './channel-affine';
import { Module } from './module';

export interface BatchNorm2dOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Running-stat momentum, default 0.1; `null` = cumulative moving average (torch's momentum=None). */
  momentum?: number | null;
}

/**
 * `torch.nn.BatchNorm2d` on NHWC: x [N, H, W, C] → same shape. Parameters `weight` (γ, init 1) and
 * `bias` (β, init 0); buffers `running_mean`, `running_var`, `num_batches_tracked` (int64 in state
 * dicts). In train mode it normalises with the batch mean and biased variance over N·H·W and updates
 * the running stats with the *unbiased* variance, as torch does; in eval mode it uses the running
 * stats.
 *
 * @example
 * const bn = new BatchNorm2d(64);
 * bn.eval().forward(tf.zeros([1, 8, 8, 64]));
 */
export class BatchNorm2d extends Module implements ChannelAffine {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(
    readonly numFeatures: number,
    opts: BatchNorm2dOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.weight = this.registerParameter('weight', tf.ones([numFeatures]));
    this.bias = this.registerParameter('bias', tf.zeros([numFeatures]));
    this.registerBuffer('running_mean', tf.zeros([numFeatures]));
    this.registerBuffer('running_var', tf.ones([numFeatures]));
    this.registerBuffer('num_batches_tracked', tf.scalar(0), { torchDType: 'int64' });
  }

  /** torch accepts a state dict without `num_batches_tracked` (float-only exports); so does resdet. */
  protected override optionalLoadKeys(): readonly string[] {
    return ['num_batches_tracked'];
  }

  get runningMean(): tf.Tensor {
    return this.buffer('running_mean');
  }

  get runningVar(): tf.Tensor {
    return this.buffer('running_var');
  }

  get numBatchesTracked(): number {
    return this.buffer('num_batches_tracked').dataSync()[0];
  }

  /** x [N, H, W, C] → [N, H, W, C]. Train mode also updates the running stats (a side effect). */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training) {
      return tf.tidy(() => {
        const { scale, shift } = this.affine()!;
        return tf.add(tf.mul(x, scale), shift);
      });
    }
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      this.updateRunningStats(mean, variance, x.size / this.numFeatures);
      const inv = tf.rsqrt(tf.add(variance, this.eps));
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), inv), this.weight), this.bias);
    });
  }

  /** Eval-mode map: scale = γ·rsqrt(running_var + eps), shift = β − running_mean·scale. */
  affine(): { scale: tf.Tensor1D; shift: tf.Tensor1D } | undefined {
    if (this.training) return undefined;
    return tf.tidy(() => {
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps))) as tf.Tensor1D;
      const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale)) as tf.Tensor1D;
      return { scale, shift };
    });
  }

  private updateRunningStats(mean: tf.Tensor, biasedVar: tf.Tensor, n: number): void {
    // Tensor ops only (no device read): momentum=null needs 1/num_batches_tracked as a tensor.
    const tracked = tf.add(this.buffer('num_batches_tracked'), 1);
    const m: tf.Tensor | number = this.momentum ?? tf.div(1, tracked);
    const keep = tf.sub(1, m);
    const unbiased = n > 1 ? tf.mul(biasedVar, n / (n - 1)) : biasedVar;
    const rm = tf.add(tf.mul(this.runningMean, keep), tf.mul(mean, m));
    const rv = tf.add(tf.mul(this.runningVar, keep), tf.mul(unbiased, m));
    this.setBuffer('num_batches_tracked', tracked);
    this.setBuffer('running_mean', rm);
    this.setBuffer('running_var', rv);
  }
}
