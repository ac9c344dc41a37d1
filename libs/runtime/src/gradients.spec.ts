import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { gradientsRegistered, registerGradients } from './gradients';

describe('registerGradients', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('registers tfjs-core gradients into the registry the engine reads, once', () => {
    registerGradients();
    expect(gradientsRegistered()).toBe(true);
    const before = tf.getGradient('Conv2D');
    registerGradients();
    expect(tf.getGradient('Conv2D')).toBe(before);
  });

  it('gives d/dx of sum(relu(x)·3 + x²) = 3·[x>0] + 2x, worked by hand', () => {
    registerGradients();
    const x = tf.tensor1d([-1, 0.5, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(tf.relu(v), 3), tf.square(v))))(x);
    expect(Array.from(g.dataSync())).toEqual([-2, 4, 7]);
    tf.dispose([x, g]);
  });
});
