import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeShapesDataset, type ShapesOptions } from '@resdet/data';
import { runDetectionTraining, type DetectionTrainingResult, type TrainerEvent } from '@resdet/training';

/** A config file's JSON with the sections the shapes runs read. */
export interface ShapesRunConfig {
  train?: Record<string, unknown>;
  data?: Record<string, unknown>;
  demo?: { trainImages?: number; valImages?: number; shapes?: Partial<ShapesOptions> };
  [section: string]: unknown;
}

/**
 * What `demo` does before drawing: generates the config's shapes data for `seed` (train + held-out val, COCO
 * layout) in `dir/data` and trains the config's detector on it with the same seed, evaluating on val at the end.
 * Every iteration's losses are collected.
 */
export async function trainOnShapes(opts: {
  config: ShapesRunConfig;
  configSource: string;
  dir: string;
  seed: number;
  iterations?: number;
}): Promise<{ result: DetectionTrainingResult; losses: Record<string, number>[] }> {
  const demo = opts.config.demo ?? {};
  const dataDir = path.join(opts.dir, 'data');
  if (!fs.existsSync(path.join(dataDir, 'annotations'))) {
    await writeShapesDataset({
      out: dataDir,
      format: 'coco',
      count: demo.trainImages ?? 2000,
      valCount: demo.valImages ?? 100,
      seed: opts.seed,
      shapes: demo.shapes,
    });
  }
  const losses: Record<string, number>[] = [];
  const result = await runDetectionTraining({
    config: opts.config,
    configSource: opts.configSource,
    dataset: { root: dataDir, format: 'coco' },
    outDir: path.join(opts.dir, 'train'),
    train: { seed: opts.seed, maxIterations: opts.iterations },
    onEvent: (e: TrainerEvent) => {
      if (e.type === 'iteration') losses.push(e.losses);
    },
  });
  return { result, losses };
}
