import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Linear } from './index';
import { Rng } from '@resdet/random';
import { nnLayerFixture, toHost, toTensor } from './test-fixture';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

const fx = nnLayerFixture().linear;

describe.each(['cpu', 'wasm'])('Linear on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('computes x·Wᵀ + b by hand and keeps torch [out, in] weights', () => {
    const fc = new Linear(2, 1);
    fc.loadStateDict(
      new Map([
        ['weight', toHost([2, 3], [1, 2])],
        ['bias', toHost([1])],
      ]),
    );
    const y = fc.forward(tf.tensor2d([1, 1, 2, -1], [2, 2]));
    expect(Array.from(y.dataSync())).toEqual([6, 2]);
    expect(fc.stateDict().get('weight')!.shape).toEqual([1, 2]);
    y.dispose();
    fc.dispose();
  });

  it('matches torch.nn.Linear (fixture nn-layers.json, 1e-5), default init within U(±1/√in), gradients flow', () => {
    const fc = new Linear(5, 3, { rng: new Rng(0) });
    expect(Math.max(...Array.from(fc.weight.dataSync(), Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(5));
    fc.loadStateDict(
      new Map([
        ['weight', toHost(fx.weight)],
        ['bias', toHost(fx.bias)],
      ]),
    );
    const x = toTensor(fx.x);
    const y = fc.forward(x);
    expect(maxAbsDiff(y.dataSync(), fx.y.data)).toBeLessThan(1e-5);
    const { grads } = tf.variableGrads(() => tf.sum(fc.forward(x)) as tf.Scalar);
    // d/db = batch size for every output
    expect(Array.from(grads[fc.bias!.name].dataSync())).toEqual([4, 4, 4]);
    tf.dispose([x, y, ...Object.values(grads)]);
    fc.dispose();
  });
});
