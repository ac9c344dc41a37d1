import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as fs from 'fs';
import * as path from 'path';
import { Conv2d } from './index';
import { Rng } from '@resdet/random';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

interface T {
  shape: number[];
  data: number[];
}
const FIXTURE = path.join(__dirname, '../../../test/fixtures/resnet/nn-layers.json');
const fx = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
const host = (t: T) => ({ dtype: 'float32' as const, shape: t.shape, data: Float32Array.from(t.data) });

describe.each(['cpu', 'wasm'])('Conv2d on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('computes a hand-worked 1-channel 3×3 case with torch padding (pad 1, stride 2)', () => {
    const conv = new Conv2d(1, 1, 3, { stride: 2, padding: 1 });
    const sd = new Map([
      ['weight', { dtype: 'float32' as const, shape: [1, 1, 3, 3], data: new Float32Array(9).fill(1) }],
      ['bias', { dtype: 'float32' as const, shape: [1], data: Float32Array.of(0.5) }],
    ]);
    conv.loadStateDict(sd);
    // x = 1..16 in a 4×4 grid; output 2×2: sums of 3×3 windows centred at (0,0),(0,2),(2,0),(2,2).
    const x = tf.tensor4d(
      Array.from({ length: 16 }, (_, i) => i + 1),
      [1, 4, 4, 1],
    );
    const y = conv.forward(x);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(y.dataSync())).toEqual([
      1 + 2 + 5 + 6 + 0.5,
      2 + 3 + 4 + 6 + 7 + 8 + 0.5,
      5 + 6 + 9 + 10 + 13 + 14 + 0.5,
      6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16 + 0.5,
    ]);
    tf.dispose([x, y]);
    conv.dispose();
  });

  it('matches torch.nn.Conv2d for strides, paddings, dilations, groups, 1×1 and 7×7 (fixture nn-layers.json, |Δ| ≤ 1e-5)', () => {
    for (const c of fx.conv2d) {
      const a = c.args;
      const conv = new Conv2d(a.cin, a.cout, a.k, {
        stride: a.stride,
        padding: a.padding,
        dilation: a.dilation,
        groups: a.groups,
        bias: a.bias,
      });
      const sd = new Map([['weight', host(c.weight)]]);
      if (c.bias) sd.set('bias', host(c.bias));
      conv.loadStateDict(sd);
      const before = tf.memory().numTensors;
      const x = tf.tensor(c.x.data, c.x.shape);
      const y = conv.forward(x);
      expect(y.shape).toEqual(c.y.shape);
      expect(maxAbsDiff(y.dataSync(), c.y.data)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      expect(tf.memory().numTensors).toBe(before);
      // state dict round trip gives torch's OIHW back
      const back = conv.stateDict().get('weight')!;
      expect(back.shape).toEqual(c.weight.shape);
      expect(
        Math.max(
          ...c.weight.data.map((v: number, i: number) => Math.abs(Math.fround(v) - (back.data[i] as number))),
        ),
      ).toBe(0);
      conv.dispose();
    }
  });
});

describe('Conv2d init and gradients (cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('initialises like torch: U(±1/√fanIn) for weight and bias, seeded', () => {
    const a = new Conv2d(8, 16, 3, { rng: new Rng(1) });
    const b = new Conv2d(8, 16, 3, { rng: new Rng(1) });
    const w = a.weight.dataSync();
    const bound = 1 / Math.sqrt(8 * 9);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
    expect(Array.from(b.weight.dataSync())).toEqual(Array.from(w));
    a.dispose();
    b.dispose();
  });

  it('passes gradients to weight, bias and input, matching finite differences', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, rng: new Rng(2) });
    const x = tf.tensor4d(new Rng(3).normalArray(2 * 5 * 5 * 2), [2, 5, 5, 2]);
    const loss = () => tf.sum(tf.square(conv.forward(x))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss);
    expect(Object.keys(grads).length).toBe(2);
    const gw = grads[conv.weight.name].dataSync();
    // finite difference on one weight entry
    const eps = 1e-2;
    const w0 = conv.weight.dataSync().slice();
    const probe = (delta: number) => {
      const w = w0.slice();
      w[5] += delta;
      conv.weight.assign(tf.tensor(w, conv.weight.shape));
      return loss().dataSync()[0];
    };
    const fd = (probe(eps) - probe(-eps)) / (2 * eps);
    expect(Math.abs(fd - gw[5])).toBeLessThan(1e-2 * Math.max(1, Math.abs(fd)));
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(conv.forward(xx)))(x);
    expect(gx.shape).toEqual(x.shape);
    tf.dispose([x, gx, ...Object.values(grads)]);
    conv.dispose();
  });
});
