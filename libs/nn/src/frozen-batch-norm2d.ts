import * as tf from '@tensorflow/tfjs-core';
import { ChannelAffine } from './channel-affine';
import { Module } from './module';

export interface FrozenBatchNorm2dOptions {
  /** Default 1e-5 (torchvision's default; detection models built by torchvision pass 0.0 for some). */
  eps?: number;
}

/**
 * torchvision's `FrozenBatchNorm2d` on NHWC: a fixed per-channel affine map, x [N, H, W, C] → same
 * shape, with `scale = weight · rsqrt(running_var + eps)` and `shift = bias − running_mean · scale`.
 * All four tensors are buffers (never trained); there is no `num_batches_tracked` (torchvision drops
 * that key when loading), and train/eval mode makes no difference.
 *
 * @example
 * const bn = new FrozenBatchNorm2d(256);
 * bn.forward(tf.zeros([1, 8, 8, 256]));
 */
export class FrozenBatchNorm2d extends Module implements ChannelAffine {
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    opts: FrozenBatchNorm2dOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.registerBuffer('weight', tf.ones([numFeatures]));
    this.registerBuffer('bias', tf.zeros([numFeatures]));
    this.registerBuffer('running_mean', tf.zeros([numFeatures]));
    this.registerBuffer('running_var', tf.ones([numFeatures]));
  }

  /**
   * A BatchNorm2d checkpoint loads as it does in torchvision: its `num_batches_tracked` is dropped
   * (torchvision's `FrozenBatchNorm2d._load_from_state_dict`).
   */
  protected override ignoredLoadKeys(): readonly string[] {
    return ['num_batches_tracked'];
  }

  /** x [N, H, W, C] → [N, H, W, C]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { scale, shift } = this.affine();
      return tf.add(tf.mul(x, scale), shift);
    });
  }

  affine(): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    return tf.tidy(() => {
      const scale = tf.mul(
        this.buffer('weight'),
        tf.rsqrt(tf.add(this.buffer('running_var'), this.eps)),
      ) as tf.Tensor1D;
      const shift = tf.sub(this.buffer('bias'), tf.mul(this.buffer('running_mean'), scale)) as tf.Tensor1D;
      return { scale, shift };
    });
  }
}
