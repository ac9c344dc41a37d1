import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdaptiveAvgPool2d } from './index';
import { nnLayerFixture, toTensor } from './test-fixture';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

const fx = nnLayerFixture().adaptiveavgpool2d;

describe('AdaptiveAvgPool2d', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('uses torch bins: 1×3 → 1×2 averages [0,1] and [1,2] (overlapping)', () => {
    const y = new AdaptiveAvgPool2d([1, 2]).forward(tf.tensor4d([1, 2, 6], [1, 1, 3, 1]));
    expect(Array.from(y.dataSync())).toEqual([1.5, 4]);
  });

  it('matches torch adaptive_avg_pool2d for 1×1, even and uneven bins (fixture nn-layers.json, 1e-6)', () => {
    for (const c of fx) {
      const x = toTensor(c.x);
      const before = tf.memory().numTensors;
      const y = new AdaptiveAvgPool2d(c.out).forward(x);
      expect(y.shape).toEqual(c.y.shape);
      expect(maxAbsDiff(y.dataSync(), c.y.data)).toBeLessThan(1e-6);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    }
  });
});
