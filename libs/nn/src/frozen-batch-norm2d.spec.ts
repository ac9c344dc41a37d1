import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FrozenBatchNorm2d } from './index';
import { maxAbsDiff, nnLayerFixture, toHost, toTensor } from './test-fixture';

const fx = nnLayerFixture();

describe('FrozenBatchNorm2d', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('has torchvision keys (no num_batches_tracked) and no trainable parameters', () => {
    const bn = new FrozenBatchNorm2d(4);
    expect([...bn.stateDict().keys()]).toEqual(['weight', 'bias', 'running_mean', 'running_var']);
    expect(bn.trainableParameters()).toEqual([]);
    bn.dispose();
  });

  it('matches torchvision.ops.FrozenBatchNorm2d (fixture nn-layers.json, 1e-5) in train and eval mode', () => {
    const bn = new FrozenBatchNorm2d(3);
    const b = fx.batchnorm2d;
    bn.loadStateDict(
      new Map([
        ['weight', toHost(b.weight)],
        ['bias', toHost(b.bias)],
        ['running_mean', toHost(b.running_mean0)],
        ['running_var', toHost(b.running_var0)],
      ]),
    );
    const x = toTensor(fx.frozenbatchnorm2d.x);
    for (const mode of [true, false]) {
      const before = tf.memory().numTensors;
      const y = bn.train(mode).forward(x);
      expect(maxAbsDiff(y, fx.frozenbatchnorm2d.y)).toBeLessThan(1e-5);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    x.dispose();
    bn.dispose();
  });
});
