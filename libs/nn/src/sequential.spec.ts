import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm2d, Conv2d, ReLU, Sequential } from './index';
import { Rng } from '@resdet/random';

describe('Sequential', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names children 0, 1, … like torch and chains forward without leaking', () => {
    const s = new Sequential([
      new Conv2d(2, 4, 1, { bias: false, rng: new Rng(1) }),
      new BatchNorm2d(4),
      new ReLU(),
    ]);
    expect([...s.stateDict().keys()]).toEqual([
      '0.weight',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    s.eval();
    const x = tf.ones([1, 3, 3, 2]);
    const before = tf.memory().numTensors;
    const y = s.forward(x);
    expect(y.shape).toEqual([1, 3, 3, 4]);
    expect(Math.min(...y.dataSync())).toBeGreaterThanOrEqual(0);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(s.at(2)).toBeInstanceOf(ReLU);
    expect(() => s.at(3)).toThrow(/out of range/);
    x.dispose();
    s.dispose();
  });
});
