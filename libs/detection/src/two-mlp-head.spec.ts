import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'fs';
import { join } from 'path';
import { FastRCNNPredictor } from './fast-rcnn-predictor';
import { TwoMLPHead } from './two-mlp-head';

const keys = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/detection/fasterrcnn_resnet50_fpn.keys.json'), 'utf8'),
) as { keys: { key: string; shape: number[] }[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TwoMLPHead and FastRCNNPredictor', () => {
  it("have torchvision's roi_heads keys and shapes for fasterrcnn_resnet50_fpn", () => {
    const head = new TwoMLPHead(256, 7, 1024);
    const pred = new FastRCNNPredictor(1024, 91);
    const ours = [
      ...[...head.stateDict()].map(([k, v]) => ({ key: `roi_heads.box_head.${k}`, shape: v.shape })),
      ...[...pred.stateDict()].map(([k, v]) => ({ key: `roi_heads.box_predictor.${k}`, shape: v.shape })),
    ];
    expect(ours).toEqual(keys.keys.filter((k) => k.key.startsWith('roi_heads.')));
    head.dispose();
    pred.dispose();
  });

  it("flattens NHWC RoI features in torch's (C, H, W) order so fc6 weights load unchanged", () => {
    // C = 2, S = 2: torch's flat index is c·4 + h·2 + w. fc6 picks element (c=1, h=0, w=1) → index 5.
    const head = new TwoMLPHead(2, 2, 1);
    const sd = head.stateDict();
    const w6 = new Float32Array(8);
    w6[5] = 1;
    sd.set('fc6.weight', { dtype: 'float32', shape: [1, 8], data: w6 });
    sd.set('fc6.bias', { dtype: 'float32', shape: [1], data: Float32Array.of(0) });
    sd.set('fc7.weight', { dtype: 'float32', shape: [1, 1], data: Float32Array.of(2) });
    sd.set('fc7.bias', { dtype: 'float32', shape: [1], data: Float32Array.of(-1) });
    head.loadStateDict(sd);
    // NHWC [1, 2, 2, 2]: value = 100·h + 10·w + c
    const x = tf.tensor4d([0, 1, 10, 11, 100, 101, 110, 111], [1, 2, 2, 2]);
    const before = tf.memory().numTensors;
    const y = head.forward(x);
    expect(Array.from(y.dataSync())).toEqual([2 * 11 - 1]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    head.dispose();
  });

  it('predicts K logits and 4K deltas per RoI, accepting [R,1,1,F] too', () => {
    const pred = new FastRCNNPredictor(3, 2);
    const x = tf.ones([4, 1, 1, 3]);
    const before = tf.memory().numTensors;
    const { classLogits, boxRegression } = pred.forward(x);
    expect(classLogits.shape).toEqual([4, 2]);
    expect(boxRegression.shape).toEqual([4, 8]);
    tf.dispose([classLogits, boxRegression]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => pred.forward(tf.ones([1, 2, 2, 3]))).toThrow(/\[R, 1, 1, F\]/);
    x.dispose();
    pred.dispose();
  });
});
