import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module } from '@resdet/nn';
import { Rng } from '@resdet/random';

/** Box-head outputs: class logits [R, K] and class-specific deltas [R, 4K] (dx dy dw dh per class). */
export interface BoxPredictions {
  classLogits: tf.Tensor2D;
  boxRegression: tf.Tensor2D;
}

/**
 * torchvision's `FastRCNNPredictor`: two linear layers on the box-head features, `cls_score` (K = numClasses
 * logits, background is class 0) and `bbox_pred` (4K deltas). Input [R, F] (or [R, 1, 1, F]).
 *
 * @example
 * const predictor = new FastRCNNPredictor(1024, 91);
 * const { classLogits, boxRegression } = predictor.forward(tf.zeros([512, 1024])); // [512, 91], [512, 364]
 */
export class FastRCNNPredictor extends Module {
  readonly clsScore: Linear;
  readonly bboxPred: Linear;

  constructor(
    readonly inChannels: number,
    readonly numClasses: number,
    rng: Rng = new Rng(0),
  ) {
    super();
    this.clsScore = this.registerModule('cls_score', new Linear(inChannels, numClasses, { rng }));
    this.bboxPred = this.registerModule('bbox_pred', new Linear(inChannels, numClasses * 4, { rng }));
  }

  /** x [R, F] or [R, 1, 1, F] → logits [R, K], deltas [R, 4K]. */
  forward(x: tf.Tensor): BoxPredictions {
    if (x.rank === 4 && (x.shape[1] !== 1 || x.shape[2] !== 1)) {
      throw new Error(`FastRCNNPredictor: 4-D input must be [R, 1, 1, F], got [${x.shape}]`);
    }
    const flat = x.rank === 2 ? x : tf.reshape(x, [x.shape[0], -1]);
    const out = {
      classLogits: this.clsScore.forward(flat) as tf.Tensor2D,
      boxRegression: this.bboxPred.forward(flat) as tf.Tensor2D,
    };
    if (flat !== x) flat.dispose();
    return out;
  }
}
