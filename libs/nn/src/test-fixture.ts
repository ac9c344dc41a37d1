// Spec-only helpers (not exported from the lib): the torch layer fixture and comparisons.
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';
import type { HostTensor } from './host-tensor';

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

/** test/fixtures/resnet/nn-layers.json, made by tools/resnet/make_nn_fixtures.py (torch 1.13). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one JSON of many layers' shapes; each spec reads its own part
export function nnLayerFixture(): any {
  const file = path.join(__dirname, '../../../test/fixtures/resnet/nn-layers.json');
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function toHost(t: FixtureTensor | number[], shape?: number[]): HostTensor {
  const data = Array.isArray(t) ? t : t.data;
  return {
    dtype: 'float32',
    shape: shape ?? (Array.isArray(t) ? [t.length] : t.shape),
    data: Float32Array.from(data),
  };
}

export function toTensor(t: FixtureTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape);
}
