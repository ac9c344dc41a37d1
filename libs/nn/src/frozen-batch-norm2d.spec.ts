import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FrozenBatchNorm2d, Sequential, type HostTensor, type StateDict } from './index';
import { nnLayerFixture, toHost, toTensor } from './test-fixture';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

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

  it('loads a BatchNorm2d state dict strictly, dropping num_batches_tracked (as torchvision does), also nested', () => {
    const bn = new FrozenBatchNorm2d(2);
    const f32 = (...v: number[]): HostTensor => ({
      dtype: 'float32',
      shape: [v.length],
      data: Float32Array.from(v),
    });
    const tracked: HostTensor = { dtype: 'int64', shape: [], data: BigInt64Array.of(7n) };
    const sd: StateDict = new Map([
      ['weight', f32(2, 3)],
      ['bias', f32(0.5, -1)],
      ['running_mean', f32(1, 2)],
      ['running_var', f32(4, 9)],
      ['num_batches_tracked', tracked],
    ]);
    expect(bn.loadStateDict(sd)).toEqual({ missing: [], unexpected: [] });
    expect(Array.from(bn.forward(tf.ones([1, 1, 1, 2])).dataSync())).toEqual([
      expect.closeTo(0.5, 5),
      expect.closeTo(-1 + (3 * (1 - 2)) / 3, 5),
    ]);
    const seq = new Sequential([new FrozenBatchNorm2d(2)]);
    const nested: StateDict = new Map([...sd].map(([k, v]) => [`0.${k}`, v]));
    expect(seq.loadStateDict(nested).unexpected).toEqual([]);
    // Only the FrozenBatchNorm2d's own key is dropped; others stay unexpected.
    nested.set('num_batches_tracked', tracked);
    expect(() => seq.loadStateDict(nested)).toThrow(/unexpected keys: num_batches_tracked/);
    bn.dispose();
    seq.dispose();
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
      expect(maxAbsDiff(y.dataSync(), fx.frozenbatchnorm2d.y.data)).toBeLessThan(1e-5);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    x.dispose();
    bn.dispose();
  });
});
