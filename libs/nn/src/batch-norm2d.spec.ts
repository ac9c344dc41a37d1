import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm2d } from './index';
import { nnLayerFixture, toHost, toTensor } from './test-fixture';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

const fx = nnLayerFixture().batchnorm2d;

describe('BatchNorm2d', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const load = (bn: BatchNorm2d) =>
    bn.loadStateDict(
      new Map([
        ['weight', toHost(fx.weight)],
        ['bias', toHost(fx.bias)],
        ['running_mean', toHost(fx.running_mean0)],
        ['running_var', toHost(fx.running_var0)],
        ['num_batches_tracked', { dtype: 'int64' as const, shape: [], data: BigInt64Array.of(0n) }],
      ]),
    );

  it('normalises a hand-worked batch: x = [1, 3] per channel → ±1 (biased var 1), eval uses running stats', () => {
    const bn = new BatchNorm2d(1);
    const x = tf.tensor4d([1, 3], [2, 1, 1, 1]);
    const y = bn.forward(x);
    expect(Array.from(y.dataSync()).map((v) => +v.toFixed(4))).toEqual([-1, 1]);
    // running_mean = 0.9·0 + 0.1·2, running_var = 0.9·1 + 0.1·(unbiased 2) = 1.1
    expect(bn.runningMean.dataSync()[0]).toBeCloseTo(0.2, 6);
    expect(bn.runningVar.dataSync()[0]).toBeCloseTo(1.1, 6);
    expect(bn.numBatchesTracked).toBe(1);
    const ye = bn.eval().forward(tf.tensor4d([0.2], [1, 1, 1, 1]));
    expect(ye.dataSync()[0]).toBeCloseTo(0, 6);
    tf.dispose([x, y, ye]);
    bn.dispose();
  });

  it('matches torch train step (output, running stats, num_batches_tracked) and eval (fixture nn-layers.json, 1e-5)', () => {
    const bn = new BatchNorm2d(3);
    load(bn);
    const x = toTensor(fx.x);
    const y = bn.train().forward(x);
    expect(maxAbsDiff(y.dataSync(), fx.y_train.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(bn.runningMean.dataSync(), fx.running_mean1)).toBeLessThan(1e-6);
    expect(maxAbsDiff(bn.runningVar.dataSync(), fx.running_var1)).toBeLessThan(1e-5);
    const sd = bn.stateDict();
    expect(sd.get('num_batches_tracked')).toEqual({
      dtype: 'int64',
      shape: [],
      data: BigInt64Array.of(BigInt(fx.num_batches_tracked)),
    });
    const xe = toTensor(fx.x_eval);
    const before = tf.memory().numTensors;
    const ye = bn.eval().forward(xe);
    expect(maxAbsDiff(ye.dataSync(), fx.y_eval.data)).toBeLessThan(1e-5);
    ye.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, xe]);
    bn.dispose();
  });

  it('loads a state dict without num_batches_tracked (as torch does) but still rejects a missing weight', () => {
    const bn = new BatchNorm2d(toHost(fx.weight).shape[0]);
    const sd = new Map([
      ['weight', toHost(fx.weight)],
      ['bias', toHost(fx.bias)],
      ['running_mean', toHost(fx.running_mean0)],
      ['running_var', toHost(fx.running_var0)],
    ]);
    expect(bn.loadStateDict(sd)).toEqual({ missing: [], unexpected: [] });
    expect(bn.numBatchesTracked).toBe(0);
    sd.delete('weight');
    expect(() => bn.loadStateDict(sd)).toThrow(/missing keys: weight/);
    bn.dispose();
  });

  it('momentum null is a cumulative average; train forward does not leak tensors', () => {
    const bn = new BatchNorm2d(1, { momentum: null });
    const before = tf.memory().numTensors;
    for (const v of [2, 4])
      tf.tidy(() => {
        bn.forward(tf.fill([2, 1, 1, 1], v));
      });
    expect(tf.memory().numTensors).toBe(before);
    expect(bn.runningMean.dataSync()[0]).toBeCloseTo(3, 6);
    bn.dispose();
  });

  it('passes gradients to weight, bias and input in train mode', () => {
    const bn = new BatchNorm2d(2);
    const x = tf.tensor4d([1, 2, 3, 5, -1, 0, 2, 7], [2, 2, 1, 2]);
    const w = tf.tensor4d([1, -2, 0.5, 3, 2, 1, -1, 0.25], [2, 2, 1, 2]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.forward(x), w)) as tf.Scalar);
    expect(Object.keys(grads).sort()).toEqual([bn.bias.name, bn.weight.name].sort());
    // d/dβ = Σ w per channel
    expect(Array.from(grads[bn.bias.name].dataSync())).toEqual([1 + 0.5 + 2 - 1, -2 + 3 + 1 + 0.25]);
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(bn.forward(xx), w)))(x);
    // gradient through batch statistics sums to zero per channel
    const g = gx.dataSync();
    expect(Math.abs(g[0] + g[2] + g[4] + g[6])).toBeLessThan(1e-5);
    tf.dispose([x, w, value, gx, ...Object.values(grads)]);
    bn.dispose();
  });
});
