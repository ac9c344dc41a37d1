import * as tf from '@tensorflow/tfjs-core';
import { Pair, pair } from './conv2d';
import { Module } from './module';

/**
 * `torch.nn.MaxPool2d(kernelSize, stride, padding)` with ceil_mode=False and dilation 1 on NHWC:
 * x [N, H, W, C] → [N, floor((H + 2p − k)/s) + 1, …, C]. Padding counts as −∞ (padded cells never
 * win), which is what tfjs pooling with an explicit numeric pad does; {@link maxPool2dReference}
 * shows it with an explicit −∞ pad. No parameters.
 *
 * @example
 * new MaxPool2d(3, 2, 1).forward(tf.zeros([1, 112, 112, 64])).shape; // [1, 56, 56, 64]
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Pair, stride?: Pair, padding: Pair = 0) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(stride ?? kernelSize);
    this.padding = pair(padding);
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new Error(`MaxPool2d: padding ${this.padding} must be at most half of kernel ${this.kernelSize}`);
    }
  }

  /** x [N, H, W, C] → [N, H', W', C]. */
  forward(x: tf.Tensor): tf.Tensor {
    const [ph, pw] = this.padding;
    const pad =
      ph === pw
        ? ph
        : ([
            [0, 0],
            [ph, ph],
            [pw, pw],
            [0, 0],
          ] as tf.backend_util.ExplicitPadding);
    return tf.maxPool(x as tf.Tensor4D, this.kernelSize, this.stride, pad);
  }
}

/** Plain reference: pad with −∞, then a VALID max pool (what torch does); kept to test the fast path. */
export function maxPool2dReference(x: tf.Tensor4D, k: Pair, s: Pair, p: Pair): tf.Tensor4D {
  const [ph, pw] = pair(p);
  return tf.tidy(() =>
    tf.maxPool(
      tf.pad(
        x,
        [
          [0, 0],
          [ph, ph],
          [pw, pw],
          [0, 0],
        ],
        -Infinity,
      ),
      pair(k),
      pair(s),
      'valid',
    ),
  );
}
