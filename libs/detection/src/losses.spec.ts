import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { binaryCrossEntropyWithLogitsSum, crossEntropySum, smoothL1LossSum } from './losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('masked detection losses (hand-worked)', () => {
  it('BCE with logits: only weighted elements count, stable for large |x|', () => {
    // x = 0, y = 1: log 2; x = 2, y = 0: 2 + log(1 + e^-2); x = 100, y = 1: ~0 (weight 1); last has weight 0.
    const l = binaryCrossEntropyWithLogitsSum(
      tf.tensor1d([0, 2, 100, -7]),
      tf.tensor1d([1, 0, 1, 1]),
      tf.tensor1d([1, 1, 1, 0]),
    );
    expect(l.dataSync()[0]).toBeCloseTo(Math.log(2) + 2 + Math.log1p(Math.exp(-2)), 5);
  });

  it('smooth-L1 with beta 1/9: quadratic below beta, linear above', () => {
    const beta = 1 / 9;
    const l = smoothL1LossSum(tf.tensor2d([[0.05, 1]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1]]), beta);
    expect(l.dataSync()[0]).toBeCloseTo((0.5 * 0.05 ** 2) / beta + (1 - 0.5 * beta), 6);
  });

  it('cross entropy sums −log softmax at the one-hot label', () => {
    const l = crossEntropySum(tf.tensor2d([[0, Math.log(3)]]), tf.tensor2d([[0, 1]]));
    expect(l.dataSync()[0]).toBeCloseTo(-Math.log(3 / 4), 6);
  });
});
