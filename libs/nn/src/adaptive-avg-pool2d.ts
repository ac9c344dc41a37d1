import * as tf from '@tensorflow/tfjs-core';
import { Pair, pair } from './conv2d';
import { Module } from './module';

/**
 * `torch.nn.AdaptiveAvgPool2d(outputSize)` on NHWC: x [N, H, W, C] → [N, oh, ow, C]. Output cell i
 * averages input rows floor(i·H/oh) … ceil((i+1)·H/oh) − 1 (torch's bins, which may overlap); 1×1 is
 * a plain mean over H and W.
 *
 * @example
 * new AdaptiveAvgPool2d(1).forward(tf.zeros([2, 7, 7, 2048])).shape; // [2, 1, 1, 2048]
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
  }

  /** x [N, H, W, C] → [N, oh, ow, C]. */
  forward(x: tf.Tensor): tf.Tensor {
    const [oh, ow] = this.outputSize;
    const [, h, w] = x.shape;
    if (oh === 1 && ow === 1) return tf.mean(x, [1, 2], true);
    if (h % oh === 0 && w % ow === 0) {
      const [kh, kw] = [h / oh, w / ow];
      return tf.avgPool(x as tf.Tensor4D, [kh, kw], [kh, kw], 'valid');
    }
    return tf.tidy(() => {
      const rows: tf.Tensor[] = [];
      for (let i = 0; i < oh; i++) {
        const [r0, r1] = bin(i, h, oh);
        const cols: tf.Tensor[] = [];
        for (let j = 0; j < ow; j++) {
          const [c0, c1] = bin(j, w, ow);
          cols.push(tf.mean(tf.slice(x, [0, r0, c0, 0], [-1, r1 - r0, c1 - c0, -1]), [1, 2], true));
        }
        rows.push(tf.concat(cols, 2));
      }
      return tf.concat(rows, 1);
    });
  }
}

/** torch's adaptive pooling bin [start, end) for output index i of n over an input of size len. */
function bin(i: number, len: number, n: number): [number, number] {
  return [Math.floor((i * len) / n), Math.ceil(((i + 1) * len) / n)];
}
