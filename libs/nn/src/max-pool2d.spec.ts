import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { MaxPool2d, maxPool2dReference } from './index';
import { nnLayerFixture, toTensor } from './test-fixture';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

const fx = nnLayerFixture().maxpool2d;

describe.each(['cpu', 'wasm'])('MaxPool2d on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('pads with −∞, not zero: an all-negative 2×2 input, k3 s2 p1 → its max', () => {
    const y = new MaxPool2d(3, 2, 1).forward(tf.tensor4d([-4, -3, -2, -5], [1, 2, 2, 1]));
    expect(Array.from(y.dataSync())).toEqual([-2]);
    y.dispose();
  });

  it('matches torch max_pool2d (fixture nn-layers.json, exact) and the −∞-pad reference', () => {
    for (const c of fx) {
      const x = toTensor(c.x);
      const y = new MaxPool2d(c.k, c.s, c.p).forward(x);
      expect(y.shape).toEqual(c.y.shape);
      expect(maxAbsDiff(y.dataSync(), c.y.data)).toBeLessThan(1e-6);
      const r = maxPool2dReference(x as tf.Tensor4D, c.k, c.s, c.p);
      expect(Array.from(r.dataSync())).toEqual(Array.from(y.dataSync()));
      tf.dispose([x, y, r]);
    }
  });
});

describe('MaxPool2d gradient (cpu)', () => {
  it('routes the gradient to the max only', async () => {
    await tf.setBackend('cpu');
    const g = tf.grad((x: tf.Tensor) => tf.sum(new MaxPool2d(2, 2).forward(x)))(
      tf.tensor4d([1, 5, 3, 2], [1, 2, 2, 1]),
    );
    expect(Array.from(g.dataSync())).toEqual([0, 1, 0, 0]);
  });
});
