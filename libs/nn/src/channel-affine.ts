import * as tf from '@tensorflow/tfjs-core';

/**
 * A normalisation layer that, in its current mode, is a fixed per-channel affine map
 * `y = x·scale + shift` (BatchNorm2d in eval mode, FrozenBatchNorm2d always). Callers such as a
 * conv→norm pair may fold it into the conv's weights. `scale`/`shift` are [C] float32, owned by the
 * caller (dispose them); `undefined` when the layer uses batch statistics (BatchNorm2d training).
 */
export interface ChannelAffine {
  affine(): { scale: tf.Tensor1D; shift: tf.Tensor1D } | undefined;
}

export function isChannelAffine(m: unknown): m is ChannelAffine {
  return typeof (m as ChannelAffine | null)?.affine === 'function';
}
