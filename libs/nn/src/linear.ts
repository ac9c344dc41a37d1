import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniformArray } from './init-arrays';
import { LINEAR_WEIGHT_LAYOUT } from './layouts';
import { Module } from './module';
import { Rng } from '@resdet/random';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
  /** Generator for torch's default init (kaiming uniform a=√5, bias U(±1/√in)); default `new Rng(0)`. */
  rng?: Rng;
  /** Start from zeros instead of drawing random weights (when a checkpoint will be loaded). */
  zeroInit?: boolean;
}

/**
 * `torch.nn.Linear`: x [..., inFeatures] → [..., outFeatures], `y = x·Wᵀ + b`. The weight variable is kept
 * transposed, [inFeatures, outFeatures] (a plain matMul is much faster on wasm than one with transposeB); the
 * state dict holds torch's [outFeatures, inFeatures] under `weight` (see LINEAR_WEIGHT_LAYOUT).
 *
 * @example
 * const fc = new Linear(2048, 1000, { rng: new Rng(0) });
 * fc.forward(tf.zeros([4, 2048])).shape; // [4, 1000]
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    const rng = opts.rng ?? new Rng(0);
    const w = opts.zeroInit
      ? new Float32Array(outFeatures * inFeatures)
      : kaimingUniformArray(outFeatures * inFeatures, inFeatures, rng);
    this.weight = this.registerParameter(
      'weight',
      tf.tidy(() => tf.transpose(tf.tensor2d(w, [outFeatures, inFeatures]))),
      { layout: LINEAR_WEIGHT_LAYOUT },
    );
    if (opts.bias ?? true) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      const b = opts.zeroInit
        ? new Float32Array(outFeatures)
        : Float32Array.from({ length: outFeatures }, () => rng.range(-bound, bound));
      this.bias = this.registerParameter('bias', tf.tensor1d(b));
    }
  }

  /** x [..., inFeatures] → [..., outFeatures]. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear: input last dim is ${x.shape[x.rank - 1]}, expected ${this.inFeatures}`);
    }
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
      // Not tf.fused.matMul: tfjs-backend-wasm 4.22's FusedMatMul gives wrong results with transposeB + bias.
      const xw = tf.matMul(x2, this.weight);
      const y = this.bias ? tf.add(xw, this.bias) : xw;
      return tf.reshape(y, [...lead, this.outFeatures]);
    });
  }
}
