import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '@resdet/nn';
import { NormLayer } from './norm';

/**
 * conv → norm (→ ReLU) as one step. When the norm is currently a fixed affine map (eval-mode
 * BatchNorm2d, FrozenBatchNorm2d) it is folded into the conv: `w' = w·scale` (per output channel),
 * `b' = b·scale + shift`, and the ReLU is fused, so the whole step is one `tf.fused.conv2d`. Outside a
 * gradient tape the folded weights are cached and reused until any of the underlying tensors change
 * (a `Variable.assign` or buffer replacement gives them new data ids); under a tape (training, or
 * any `tf.grad`) the fold is recomputed in the graph so gradients reach the conv weights. Otherwise
 * (train-mode BatchNorm2d) it runs conv, norm and ReLU separately. Not a Module: it only holds
 * references to modules registered by its owner.
 */
export class ConvNorm {
  private cache: { key: object[]; weight: tf.Tensor; bias: tf.Tensor } | undefined;

  constructor(
    readonly conv: Conv2d,
    readonly norm: NormLayer,
  ) {}

  /** x [N, H, W, Cin] → [N, H', W', Cout], normalised, optionally ReLU'd. */
  forward(x: tf.Tensor, relu: boolean): tf.Tensor {
    return tf.tidy(() => {
      const affine = this.norm.affine?.();
      if (!affine) {
        const y = this.norm.forward(this.conv.forward(x));
        return relu ? tf.relu(y) : y;
      }
      const act = relu ? 'relu' : 'linear';
      if (tf.engine().isTapeOn()) {
        const { weight, bias } = this.fold(affine.scale, affine.shift);
        return this.conv.forwardWith(x, weight, bias, act);
      }
      const key = this.cacheKey();
      if (!this.cache || key.some((k, i) => k !== this.cache!.key[i])) {
        this.clearCache();
        const { weight, bias } = this.fold(affine.scale, affine.shift);
        this.cache = { key, weight: tf.keep(weight), bias: tf.keep(bias) };
      }
      return this.conv.forwardWith(x, this.cache.weight, this.cache.bias, act);
    });
  }

  /** Frees cached folded weights (the owner calls this from its `dispose`). */
  clearCache(): void {
    if (this.cache) tf.dispose([this.cache.weight, this.cache.bias]);
    this.cache = undefined;
  }

  private fold(scale: tf.Tensor1D, shift: tf.Tensor1D): { weight: tf.Tensor; bias: tf.Tensor } {
    const weight = tf.mul(this.conv.weight, scale); // HWIO: O is the last axis
    const bias = this.conv.bias ? tf.add(tf.mul(this.conv.bias, scale), shift) : shift;
    return { weight, bias };
  }

  private cacheKey(): object[] {
    const tensors = [
      this.conv.weight,
      ...(this.conv.bias ? [this.conv.bias] : []),
      ...this.norm.namedParameters().map(([, t]) => t),
      ...this.norm.namedBuffers().map(([, t]) => t),
    ];
    return tensors.map((t) => t.dataId);
  }
}
