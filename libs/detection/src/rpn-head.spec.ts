import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'fs';
import { join } from 'path';
import { Rng } from '@resdet/random';
import { RPNHead } from './rpn-head';

const keys = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/detection/fasterrcnn_resnet50_fpn.keys.json'), 'utf8'),
) as { keys: { key: string; shape: number[] }[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('RPNHead', () => {
  it("has torchvision 0.14's rpn.head keys and shapes (conv.0.0, cls_logits, bbox_pred)", () => {
    const head = new RPNHead(256, 3);
    const ours = [...head.stateDict()].map(([k, v]) => ({ key: `rpn.head.${k}`, shape: v.shape }));
    expect(ours).toEqual(keys.keys.filter((k) => k.key.startsWith('rpn.head.')));
    head.dispose();
  });

  it('initialises every conv N(0, 0.01²) with zero bias, as torchvision', () => {
    const head = new RPNHead(64, 3, new Rng(5));
    const w = head.stateDict().get('conv.0.0.weight')!.data as Float32Array;
    const mean = w.reduce((s, x) => s + x, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
    expect(Math.abs(std - 0.01)).toBeLessThan(0.0005); // n = 36864
    for (const k of ['conv.0.0.bias', 'cls_logits.bias', 'bbox_pred.bias']) {
      expect(Array.from(head.stateDict().get(k)!.data as Float32Array).every((x) => x === 0)).toBe(true);
    }
    head.dispose();
  });

  it('gives NHWC objectness [N,H,W,A] and deltas [N,H,W,4A] per level, relu between the convs, no leaks', () => {
    const head = new RPNHead(2, 1);
    const sd = head.stateDict();
    // conv = identity on channels; cls = channel0 − channel1; bbox = (c0, c1, −c0, 1)
    const conv = new Float32Array(2 * 2 * 9);
    conv[0 * 18 + 0 * 9 + 4] = 1;
    conv[1 * 18 + 1 * 9 + 4] = 1;
    sd.set('conv.0.0.weight', { dtype: 'float32', shape: [2, 2, 3, 3], data: conv });
    sd.set('cls_logits.weight', { dtype: 'float32', shape: [1, 2, 1, 1], data: Float32Array.of(1, -1) });
    sd.set('bbox_pred.weight', {
      dtype: 'float32',
      shape: [4, 2, 1, 1],
      data: Float32Array.of(1, 0, 0, 1, -1, 0, 0, 0),
    });
    sd.set('bbox_pred.bias', { dtype: 'float32', shape: [4], data: Float32Array.of(0, 0, 0, 1) });
    head.loadStateDict(sd);
    const x = tf.tensor4d([3, -1, 2, 5], [1, 1, 2, 2]); // pixel (0,0) = (3, −1), pixel (0,1) = (2, 5)
    const before = tf.memory().numTensors;
    const { objectness, deltas } = head.forward([x]);
    expect(objectness[0].shape).toEqual([1, 1, 2, 1]);
    expect(Array.from(objectness[0].dataSync())).toEqual([3, -3]); // relu(−1) = 0
    expect(Array.from(deltas[0].dataSync())).toEqual([3, 0, -3, 1, 2, 5, -2, 1]);
    tf.dispose([...objectness, ...deltas]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    head.dispose();
  });
});
