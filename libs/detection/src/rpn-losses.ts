import * as tf from '@tensorflow/tfjs-core';
import { binaryCrossEntropyWithLogitsSum, smoothL1LossSum } from './losses';
import type { RpnLossTargets } from './rpn-anchor-targets';
import type { RpnFlatOutputs } from './rpn-head';

export interface RpnLosses {
  loss_objectness: tf.Scalar;
  loss_rpn_box_reg: tf.Scalar;
}

/**
 * torchvision `compute_loss` given host targets: BCE over the sampled anchors and smooth-L1 (β = 1/9) of the
 * positives' deltas, both divided by the sample size. Gradients flow to the head's objectness and deltas; the
 * caller disposes the scalars.
 */
export function rpnLosses(out: RpnFlatOutputs, t: RpnLossTargets): RpnLosses {
  const n = out.objectness.shape[0];
  const a = out.anchors.length / 4;
  if (t.objWeight.length !== n * a) {
    throw new Error(
      `RegionProposalNetwork: loss targets cover ${t.objWeight.length} anchors, the head gave ${n} × ${a}`,
    );
  }
  const { objLabel, objWeight, posWeight, targets, denom } = t;
  return tf.tidy(() => {
    const objLoss = binaryCrossEntropyWithLogitsSum(
      tf.reshape(out.objectness, [n * a]),
      tf.tensor1d(objLabel),
      tf.tensor1d(objWeight),
    );
    const boxLoss = smoothL1LossSum(
      tf.reshape(out.deltas, [n * a, 4]),
      tf.tensor2d(targets, [n * a, 4]),
      tf.tensor2d(posWeight, [n * a, 1]),
      1 / 9,
    );
    return {
      loss_objectness: tf.div(objLoss, denom) as tf.Scalar,
      loss_rpn_box_reg: tf.div(boxLoss, denom) as tf.Scalar,
    };
  });
}
