import * as tf from '@tensorflow/tfjs-core';
import { backendCaps } from '@resdet/runtime';
import { rgbToTensor, type GeneralizedRCNN, type TrainingStepPlan } from '@resdet/detection';
import type { LoaderBatch } from '@resdet/data';
import { trainableModule } from './trainer-ports';

/** A loader batch, plus phase 1 of a two-phase training step where the backend needs one. */
export type PlannedBatch = LoaderBatch & { plan?: TrainingStepPlan };

async function planTrainingStep(
  model: GeneralizedRCNN,
  b: PlannedBatch,
): Promise<{ batch: PlannedBatch; dispose(): void }> {
  const images = b.images.map(rgbToTensor);
  try {
    const targets = b.targets.map((t) => ({ boxes: t.boxes, labels: t.labels }));
    const plan = await model.prepareTrainingStep(images, targets);
    return { batch: { ...b, plan }, dispose: () => plan.images.dispose() };
  } finally {
    tf.dispose(images);
  }
}

/**
 * A detector as the Trainer's model: one step's losses from a loader batch. Backends without synchronous reads
 * (webgpu) make the host-side decisions (proposals, matching, sampling) before the tape, then the loss runs on
 * them; the others keep the one-pass `computeLosses`.
 */
export function detectorTrainable(model: GeneralizedRCNN) {
  return trainableModule(
    model,
    (m, b: PlannedBatch) => {
      if (b.plan) return m.computeLossesFromPlan(b.plan) as unknown as Record<string, tf.Scalar>;
      const images = b.images.map(rgbToTensor);
      const targets = b.targets.map((t) => ({ boxes: t.boxes, labels: t.labels }));
      return m.computeLosses(images, targets) as unknown as Record<string, tf.Scalar>;
    },
    backendCaps().syncReads ? undefined : (m, b) => planTrainingStep(m, b),
  );
}
