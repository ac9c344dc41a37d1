import * as tf from '@tensorflow/tfjs-core';
import { TrainingConfigError } from './errors';
import type { NamedGradients } from './sgd';

/** Result of {@link clipGradNorm}. */
export interface ClippedGradients {
  /** New gradient tensors (the caller owns and disposes them), same keys as the input. */
  grads: Map<string, tf.Tensor>;
  /** Total norm of the gradients *before* clipping (what torch returns). */
  totalNorm: number;
}

/**
 * Clips gradients by their global norm with torch.nn.utils.clip_grad_norm_ semantics (torch 1.13):
 *
 *     total = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, …)‖ₚ          (p = ∞: max |g|)
 *     coef  = min(maxNorm / (total + 1e-6), 1)
 *     gᵢ   ← gᵢ · coef                      (always multiplied, as torch does)
 *
 * A non-finite total gives a non-finite coefficient, as in torch with `error_if_nonfinite=False`.
 * Returns new tensors; never disposes its arguments.
 *
 * @example
 * const { grads: clipped, totalNorm } = await clipGradNorm(grads, 10);
 */
export async function clipGradNorm(
  grads: NamedGradients,
  maxNorm: number,
  normType: number = 2,
): Promise<ClippedGradients> {
  if (!(maxNorm > 0)) throw new TrainingConfigError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  if (!(normType > 0))
    throw new TrainingConfigError(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const names = [...grads.keys()];
  if (names.length === 0) return { grads: new Map(), totalNorm: 0 };
  const { total, clipped } = tf.tidy(() => {
    const norms = names.map((n) => vectorNorm(grads.get(n)!, normType));
    const total = vectorNorm(tf.stack(norms), normType);
    const coef = tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(total, 1e-6)), 1);
    return { total, clipped: names.map((n) => tf.mul(grads.get(n)!, coef)) };
  });
  // An async read: webgpu has no synchronous one in Node.
  const totalNorm = (await total.data())[0];
  total.dispose();
  return { grads: new Map(names.map((n, i) => [n, clipped[i]])), totalNorm };
}

/** ‖x‖ₚ over all elements (torch.norm(x, p) of a flattened tensor). */
function vectorNorm(x: tf.Tensor, p: number): tf.Scalar {
  return tf.tidy(() => {
    const a = tf.abs(tf.reshape(x, [-1]));
    if (p === Infinity) return tf.max(a);
    if (p === 2) return tf.sqrt(tf.sum(tf.square(a)));
    if (p === 1) return tf.sum(a);
    return tf.pow(tf.sum(tf.pow(a, p)), 1 / p);
  }) as tf.Scalar;
}
