import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAllGradients } from './index';

describe('registerAllGradients', () => {
  it('has registered tfjs gradients on import (idempotent) so conv/pool/mean backprop works', async () => {
    await tf.setBackend('cpu');
    registerAllGradients();
    for (const k of ['Conv2D', 'MaxPool', 'Mean', 'Relu', 'Rsqrt', 'BatchMatMul', 'PadV2', 'Transpose']) {
      expect(tf.getGradient(k)).toBeDefined();
    }
    const g = tf.grad((x: tf.Tensor) => tf.mean(tf.square(x)))(tf.tensor1d([1, 2, 3, 4]));
    expect(Array.from(g.dataSync())).toEqual([0.5, 1, 1.5, 2]);
  });
});
