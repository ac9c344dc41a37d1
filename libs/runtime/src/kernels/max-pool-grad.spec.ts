import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '../gradients';
import { registerResdetKernels } from './register';
import { KERNEL_RTOL, onBackends, relativeError, seededFloats, seededInt } from './testing';

describe('MaxPoolGrad on wasm (replaces tfjs-backend-wasm 4.22’s, which drops windows when channels > 1)', () => {
  beforeAll(() => {
    registerGradients();
    registerResdetKernels();
  });

  it('routes dy to the window maximum, by hand (2×2/2, two channels)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]); // ch0: 1 2 / 3 4, ch1: 10 20 / 30 40
    const g = tf.grad((v: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([5, 7], [1, 1, 1, 2]))),
    )(x);
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 5, 7]);
  });

  it('matches cpu within KERNEL_RTOL on random shapes, windows, strides and paddings', async () => {
    for (let i = 0; i < 12; i++) {
      const s = 500 + i * 11;
      const shape: [number, number, number, number] = [
        seededInt(s, 1, 2),
        seededInt(s + 1, 3, 12),
        seededInt(s + 2, 3, 12),
        seededInt(s + 3, 1, 6),
      ];
      const k = seededInt(s + 4, 1, 3);
      const st = seededInt(s + 5, 1, 2);
      const pad = i % 2 ? 'same' : 'valid';
      const xv = seededFloats(
        shape.reduce((a, b) => a * b),
        s,
      );
      const run = (): tf.Tensor =>
        tf.grad((v: tf.Tensor) => {
          const y = tf.maxPool(v as tf.Tensor4D, k, st, pad);
          return tf.sum(tf.mul(y, tf.tensor(seededFloats(y.size, s + 1), y.shape)));
        })(tf.tensor4d(xv, shape));
      const [cpu, wasm] = await onBackends(['cpu', 'wasm'], run);
      expect([i, relativeError(wasm, cpu) <= KERNEL_RTOL]).toEqual([i, true]);
    }
  });
});
