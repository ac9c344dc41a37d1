import * as tf from '@tensorflow/tfjs-core';
import { TrainingConfigError } from './errors';
import type { TrainableModel } from './trainer-ports';

/** One batch's loss terms (kept on the device), the optimised sum and its gradients by parameter name. */
export interface LossAndGrads {
  names: string[];
  /** The unweighted terms, stacked in `names` order. */
  termValues: tf.Tensor;
  value: tf.Scalar;
  grads: Map<string, tf.Tensor>;
}

/**
 * Sum of the loss terms (torch's `sum(loss_dict.values())`: left to right), each times its `lossWeights` entry,
 * and its gradients with respect to `params`. The reported terms are unweighted; `value` is the optimised sum.
 * The trainer's step and each data-parallel replica share it, so a shard's gradients are the trainer's own.
 */
export function lossAndGrads(
  computeLosses: () => Record<string, tf.Scalar>,
  params: readonly (readonly [string, tf.Variable])[],
  lossWeights: Record<string, number> = {},
): LossAndGrads {
  const names: string[] = [];
  let termValues: tf.Tensor | undefined;
  let out: { value: tf.Scalar; grads: tf.NamedTensorMap };
  const nameByVar = new Map(params.map(([name, v]) => [v.name, name]));
  try {
    out = tf.variableGrads(
      () => {
        const terms = computeLosses();
        names.push(...Object.keys(terms));
        if (!names.length) throw new TrainingConfigError('train: computeLosses returned no loss terms');
        for (const n of names) {
          if (terms[n].rank !== 0)
            throw new TrainingConfigError(
              `train: loss term "${n}" has shape [${terms[n].shape}], expected a scalar`,
            );
        }
        termValues = tf.keep(tf.stack(names.map((n) => terms[n])));
        const unknown = Object.keys(lossWeights).filter((n) => !names.includes(n));
        if (unknown.length)
          throw new TrainingConfigError(
            `train.lossWeights names ${unknown.join(', ')}, but the model's loss terms are ${names.join(', ')}`,
          );
        // A weight of 1 adds the term itself, so runs without weights keep their exact trajectory.
        const weighted = names.map((n) =>
          lossWeights[n] === undefined || lossWeights[n] === 1 ? terms[n] : tf.mul(terms[n], lossWeights[n]),
        );
        let total: tf.Tensor = weighted[0];
        for (const t of weighted.slice(1)) total = tf.add(total, t);
        return total as tf.Scalar;
      },
      params.map(([, v]) => v),
    );
  } catch (e) {
    termValues?.dispose();
    throw e;
  }
  const grads = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(out.grads)) {
    if (g) grads.set(nameByVar.get(varName)!, g);
  }
  return { names, termValues: termValues!, value: out.value, grads };
}

/**
 * One training step's numbers for a model in this thread: train mode, the model's host-side preparation if it has
 * one, {@link lossAndGrads}, and the terms read back. `losses` holds each unweighted term and `loss`, the
 * optimised sum; the caller owns (disposes) `grads`.
 */
export async function stepLossesAndGrads<B>(
  model: TrainableModel<B>,
  batch: B,
  params: readonly (readonly [string, tf.Variable])[],
  lossWeights?: Record<string, number>,
): Promise<{ losses: Record<string, number>; grads: Map<string, tf.Tensor> }> {
  model.train?.(true);
  const prepared = model.prepare ? await model.prepare(batch) : undefined;
  try {
    const { names, termValues, value, grads } = lossAndGrads(
      () => model.computeLosses(prepared?.batch ?? batch),
      params,
      lossWeights,
    );
    try {
      // Async reads: the only kind webgpu offers in Node (cpu/wasm resolve them at once).
      const values = await termValues.data();
      const losses: Record<string, number> = {};
      names.forEach((n, i) => (losses[n] = values[i]));
      losses.loss = (await value.data())[0];
      return { losses, grads };
    } catch (e) {
      tf.dispose([...grads.values()]);
      throw e;
    } finally {
      tf.dispose([termValues, value]);
    }
  } finally {
    prepared?.dispose();
  }
}
