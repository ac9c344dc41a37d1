/**
 * The small torchvision Faster R-CNN parity fixtures in test/fixtures/detection, read one way for every spec that
 * checks against them: `tiny_frcnn` (fasterrcnn_resnet50_fpn's parts, tools/detection/make_model_fixtures.py)
 * and `tiny_frcnn_v2` (fasterrcnn_resnet50_fpn_v2's: BatchNorm in the FPN and FastRCNNConvFCHead,
 * make_v2_model_fixtures.py), torch 1.13 / torchvision 0.14.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '@resdet/checkpoint';
import type { HostTensor, StateDict } from '@resdet/nn';
import { resolveConfig, type FasterRcnnConfig } from '@resdet/detection';

export type ParityFixtureName = 'tiny_frcnn' | 'tiny_frcnn_v2';

export const PARITY_FIXTURES: readonly ParityFixtureName[] = ['tiny_frcnn', 'tiny_frcnn_v2'];

const DIR = join(__dirname, '../fixtures/detection');

/** The resdet config of a fixture's model, from the torch-side config the generator recorded. */
function resdetConfig(name: ParityFixtureName, c: Record<string, unknown>): Partial<FasterRcnnConfig> {
  // v2's generator already writes resdet's FasterRcnnConfig fields.
  if (name === 'tiny_frcnn_v2') return c as Partial<FasterRcnnConfig>;
  return {
    numClasses: c.numClasses as number,
    minSize: c.minSize as number,
    maxSize: c.maxSize as number,
    backboneDepth: 18,
    backboneWidth: c.stemWidth as number,
    backboneLayers: c.blocks as number[],
    backboneNorm: 'frozen',
    trainableLayers: 5,
    fpnOutChannels: c.fpnOutChannels as number,
    representationSize: c.representationSize as number,
  };
}

export interface ParityFixture {
  name: ParityFixtureName;
  /** The generator's JSON (its `config`, tolerances it measured, …). */
  meta: Record<string, unknown> & { config: Record<string, unknown> };
  /** The model's resolved resdet config. */
  config: FasterRcnnConfig;
  /** torchvision's weights, resdet names. */
  weights: StateDict;
  /** A recorded tensor (`image.0`, `eval.boxes.1`, `train.rpn_pos.0`, …); throws naming the fixture if absent. */
  get(key: string): HostTensor;
}

export function readParityFixture(name: ParityFixtureName): ParityFixture {
  const meta = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as ParityFixture['meta'];
  const expected = readSafetensors(join(DIR, `${name}.expected.safetensors`)).tensors;
  return {
    name,
    meta,
    config: resolveConfig(resdetConfig(name, meta.config)),
    weights: readSafetensors(join(DIR, `${name}.weights.safetensors`)).tensors,
    get(key) {
      const t = expected.get(key);
      if (!t) throw new Error(`${name}.expected.safetensors has no ${key}`);
      return t;
    },
  };
}
