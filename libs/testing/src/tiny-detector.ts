import * as path from 'node:path';

export const TINY_ARCH = 'fasterrcnn_shapes_demo';

/**
 * Writes a random-weight shapes-demo detector as a resdet checkpoint (`<dir>/tiny.safetensors` + `.json`).
 * Its score threshold is 0 so even random weights produce boxes to write and draw.
 */
export async function writeTinyDetector(
  dir: string,
  classes = ['__background__', 'circle', 'cross', 'square'],
): Promise<string> {
  // Loaded here, so a test that only runs the CLI does not load the tensor libraries.
  const { initRuntime } = await import('@resdet/runtime');
  const { buildDetector, resolveArchConfig } = await import('@resdet/detection');
  const { saveCheckpoint } = await import('@resdet/checkpoint');
  await initRuntime({ backend: 'wasm' });
  const cfg = resolveArchConfig(TINY_ARCH, {
    numClasses: classes.length,
    boxScoreThresh: 0,
    boxDetectionsPerImg: 5,
  });
  const model = buildDetector(TINY_ARCH, cfg);
  const base = path.join(dir, 'tiny');
  saveCheckpoint(base, { model: model.stateDict(), meta: { arch: TINY_ARCH, config: { ...cfg }, classes } });
  model.dispose();
  return `${base}.safetensors`;
}

/**
 * A training config (`{arch, model, classes, train}`) for a detector small enough to train a step in ~0.1 s on
 * 64 × 64 shapes images; `train` is merged over its short schedule.
 */
export function tinyTrainingConfig(train: Record<string, unknown> = {}) {
  return {
    arch: TINY_ARCH,
    model: {
      numClasses: 5,
      minSize: 64,
      maxSize: 64,
      backboneWidth: 8,
      fpnOutChannels: 16,
      representationSize: 32,
      rpnAnchorSizes: [[8], [16], [32], [64], [128]],
      rpnPreNmsTopNTrain: 200,
      rpnPostNmsTopNTrain: 50,
      rpnPreNmsTopNTest: 100,
      rpnPostNmsTopNTest: 20,
      boxBatchSizePerImage: 16,
    },
    classes: ['__background__', 'circle', 'cross', 'square', 'triangle'],
    train: { batchSize: 2, baseLr: 0.01, warmupIters: 2, historyEvery: 1, ...train },
  };
}
