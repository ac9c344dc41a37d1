import * as tf from '@tensorflow/tfjs-core';

/**
 * The detection losses as dense, masked reductions: every function takes a 0/1 `weight` instead of gathering
 * sampled rows, so their gradients need only elementwise kernels and sums (no gather/scatter backprop).
 * The results equal torch's gathered versions (`F.binary_cross_entropy_with_logits`, `F.smooth_l1_loss`,
 * `F.cross_entropy` on the sampled rows) up to float summation order.
 */

/**
 * Σ weightᵢ · BCEWithLogits(xᵢ, yᵢ), computed stably as `max(x, 0) − x·y + log1p(exp(−|x|))` (torch's formula).
 * All inputs have the same shape.
 */
export function binaryCrossEntropyWithLogitsSum(
  logits: tf.Tensor,
  labels: tf.Tensor,
  weight: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const x = logits;
    const perElem = tf.add(tf.sub(tf.relu(x), tf.mul(x, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return tf.sum(tf.mul(perElem, weight)) as tf.Scalar;
  });
}

/**
 * Σ weight · smoothL1(pred − target) with torch's `beta`: `0.5·d²/β` where `|d| < β`, else `|d| − 0.5·β`.
 * `weight` broadcasts against `pred` (e.g. [N, 1] for [N, 4] deltas).
 */
export function smoothL1LossSum(
  pred: tf.Tensor,
  target: tf.Tensor,
  weight: tf.Tensor,
  beta: number,
): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.abs(tf.sub(pred, target));
    const quad = tf.div(tf.mul(tf.square(d), 0.5), beta);
    const lin = tf.sub(d, 0.5 * beta);
    const l = tf.where(tf.less(d, beta), quad, lin);
    return tf.sum(tf.mul(l, weight)) as tf.Scalar;
  });
}

/**
 * Σ over rows of −log softmax(logits)[label] (torch `F.cross_entropy(..., reduction='sum')`), with labels given
 * as a one-hot [R, K] float tensor (rows of zeros contribute nothing).
 */
export function crossEntropySum(logits: tf.Tensor2D, oneHotLabels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHotLabels))) as tf.Scalar);
}
