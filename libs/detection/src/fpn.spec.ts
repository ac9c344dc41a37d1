import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'fs';
import { join } from 'path';
import { StateDict } from '@resdet/nn';
import { FeaturePyramidNetwork, nearestIndex, subsample2, upsampleNearest } from './fpn';

const keys = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/detection/fasterrcnn_resnet50_fpn.keys.json'), 'utf8'),
) as { keys: { key: string; shape: number[] }[] };

const f32 = (shape: number[], data: number[]) => ({
  dtype: 'float32' as const,
  shape,
  data: Float32Array.from(data),
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FeaturePyramidNetwork', () => {
  it("has torchvision's fasterrcnn_resnet50_fpn keys and shapes under backbone.fpn (torchvision 0.14 dump)", () => {
    const fpn = new FeaturePyramidNetwork([256, 512, 1024, 2048], 256);
    const ours = [...fpn.stateDict()].map(([k, v]) => ({ key: `backbone.fpn.${k}`, shape: v.shape }));
    const theirs = keys.keys.filter((k) => k.key.startsWith('backbone.fpn.'));
    expect(ours).toEqual(theirs);
    fpn.dispose();
  });

  it('adds the upsampled top-down path to each lateral and appends the stride-2 pool level (hand-worked)', () => {
    // one channel everywhere; laterals ×1 and ×2 with biases, 3×3 output convs that are the identity.
    const fpn = new FeaturePyramidNetwork([1, 1], 1);
    const id3 = [0, 0, 0, 0, 1, 0, 0, 0, 0];
    const sd: StateDict = new Map([
      ['inner_blocks.0.0.weight', f32([1, 1, 1, 1], [1])],
      ['inner_blocks.0.0.bias', f32([1], [0.5])],
      ['inner_blocks.1.0.weight', f32([1, 1, 1, 1], [2])],
      ['inner_blocks.1.0.bias', f32([1], [0])],
      ['layer_blocks.0.0.weight', f32([1, 1, 3, 3], id3)],
      ['layer_blocks.0.0.bias', f32([1], [0])],
      ['layer_blocks.1.0.weight', f32([1, 1, 3, 3], id3)],
      ['layer_blocks.1.0.bias', f32([1], [1])],
    ]);
    fpn.loadStateDict(sd);
    const c2 = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
    const c3 = tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]);
    const before = tf.memory().numTensors;
    const out = fpn.forward(
      new Map([
        ['0', c2],
        ['1', c3],
      ]),
    );
    expect([...out.keys()]).toEqual(['0', '1', 'pool']);
    // level 1: 2·c3 + 1
    expect(Array.from(out.get('1')!.dataSync())).toEqual([21, 41, 61, 81]);
    // level 0: c2 + 0.5 + nearest-upsampled (2·c3)
    const top = [20, 20, 40, 40, 20, 20, 40, 40, 60, 60, 80, 80, 60, 60, 80, 80];
    expect(Array.from(out.get('0')!.dataSync())).toEqual(top.map((t, i) => t + i + 1 + 0.5));
    // pool: max_pool2d(k=1, s=2) of level 1 → its top-left pixel
    expect(out.get('pool')!.shape).toEqual([1, 1, 1, 1]);
    expect(Array.from(out.get('pool')!.dataSync())).toEqual([21]);
    tf.dispose([...out.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([c2, c3]);
    fpn.dispose();
  });
});

describe('nearest upsampling and stride-2 subsampling', () => {
  it("uses torch's nearest source indices (floor(dst·in/out) in float32)", () => {
    expect(Array.from(nearestIndex(5, 7))).toEqual([0, 0, 1, 2, 2, 3, 4]);
    expect(Array.from(nearestIndex(3, 6))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(nearestIndex(4, 4))).toEqual([0, 1, 2, 3]);
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const y = upsampleNearest(x, 3, 5); // rows [0,0,1], cols [0,0,1,1,2]
    expect(Array.from(y.dataSync())).toEqual([1, 1, 2, 2, 3, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6]);
    tf.dispose([x, y]);
  });

  it('keeps every second row and column, odd sizes included', () => {
    const x = tf.tensor4d(
      Array.from({ length: 15 }, (_, i) => i),
      [1, 3, 5, 1],
    );
    const y = subsample2(x);
    expect(y.shape).toEqual([1, 2, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual([0, 2, 4, 10, 12, 14]);
    tf.dispose([x, y]);
  });

  it('routes the gradient to the kept positions only (2 images, 2 channels, odd sizes)', () => {
    const x = tf.tensor4d(
      Array.from({ length: 2 * 3 * 5 * 2 }, (_, i) => i),
      [2, 3, 5, 2],
    );
    const w = tf.tensor4d(
      Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => i + 1),
      [2, 2, 3, 2],
    );
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(subsample2(t as tf.Tensor4D), w)))(x);
    const want = new Float32Array(x.size);
    let k = 1;
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 3; i += 2)
        for (let j = 0; j < 5; j += 2) for (let c = 0; c < 2; c++) want[((b * 3 + i) * 5 + j) * 2 + c] = k++;
    expect(Array.from(g.dataSync())).toEqual(Array.from(want));
    tf.dispose([x, w, g]);
  });
});
