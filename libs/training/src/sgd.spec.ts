import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'fs';
import * as path from 'path';
import { Sgd } from './sgd';
import { TrainingConfigError } from './errors';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** Fixture: tools/training/make_sgd_fixture.py (torch 1.13 torch.optim.SGD, 6 steps, lr changing per step). */
const FIXTURE = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../test/fixtures/training/sgd-fixture.json'), 'utf8'),
) as {
  torch: string;
  sgd: {
    name: string;
    options: {
      momentum: number;
      weightDecay: number;
      dampening: number;
      nesterov: boolean;
      noWeightDecay: string[];
    };
    shapes: Record<string, number[]>;
    init: Record<string, number[]>;
    steps: { lr: number; grads: Record<string, number[]>; params: Record<string, number[]> }[];
    momentumBuffers: Record<string, number[]>;
  }[];
};

/** A variable holding `values` (the temporary source tensor is freed). */
function variableOf(values: number[], shape: number[]): tf.Variable {
  const t = tf.tensor(values, shape);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Sgd', () => {
  it('lrMultiplier is a torch param group with lr = multiplier × lr (momentum buffers hold no lr)', () => {
    const a = tf.variable(tf.tensor1d([1]));
    const b = tf.variable(tf.tensor1d([1]));
    const opt = new Sgd(
      [
        ['backbone.w', a],
        ['head.w', b],
      ],
      { momentum: 0.5, lrMultiplier: (n) => (n.startsWith('backbone.') ? 0.1 : 1) },
    );
    // step 1: buf = g = 2; a -= 0.1·1·2, b -= 1·1·2.  step 2: buf = 0.5·2 + 2 = 3; a -= 0.1·0.5·3, b -= 0.5·3
    opt.step(
      new Map([
        ['backbone.w', tf.tensor1d([2])],
        ['head.w', tf.tensor1d([2])],
      ]),
      1,
    );
    opt.step(
      new Map([
        ['backbone.w', tf.tensor1d([2])],
        ['head.w', tf.tensor1d([2])],
      ]),
      0.5,
    );
    expect(a.dataSync()[0]).toBeCloseTo(1 - 0.2 - 0.15, 6);
    expect(b.dataSync()[0]).toBeCloseTo(1 - 2 - 1.5, 6);
    expect(() => new Sgd([['x', a]], { lrMultiplier: () => -1 })).toThrow(
      'sgd: lr multiplier of "x" must be a finite number ≥ 0, got -1',
    );
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('matches a hand-worked momentum + weight decay step (first step buf = d_p)', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new Sgd([['p', p]], { momentum: 0.9, weightDecay: 0.1 });
    // step 1: d_p = g + 0.1·p = [0.5+0.1, 0.5-0.2] = [0.6, 0.3]; buf = d_p; p = p - 0.1·buf = [0.94, -2.03]
    opt.step(new Map([['p', tf.tensor1d([0.5, 0.5])]]), 0.1);
    expect(maxAbsDiff(p.dataSync(), [0.94, -2.03])).toBeLessThan(1e-6);
    // step 2: d_p = [0 + 0.094, 0 - 0.203]; buf = 0.9·[0.6, 0.3] + d_p = [0.634, 0.067]; p -= 0.1·buf
    opt.step(new Map([['p', tf.tensor1d([0, 0])]]), 0.1);
    expect(maxAbsDiff(p.dataSync(), [0.94 - 0.0634, -2.03 - 0.0067])).toBeLessThan(1e-6);
    opt.dispose();
    p.dispose();
  });

  for (const c of FIXTURE.sgd) {
    it(`matches torch ${FIXTURE.torch} SGD "${c.name}" over ${c.steps.length} steps (≤1e-6)`, () => {
      const before = tf.memory().numTensors;
      const params = Object.keys(c.shapes).map(
        (k) => [k, variableOf(c.init[k], c.shapes[k])] as [string, tf.Variable],
      );
      const noDecay = new Set(c.options.noWeightDecay);
      const opt = new Sgd(params, { ...c.options, noWeightDecay: (n) => noDecay.has(n) });
      for (const step of c.steps) {
        const grads = new Map(Object.entries(step.grads).map(([k, g]) => [k, tf.tensor(g, c.shapes[k])]));
        opt.step(grads, step.lr);
        tf.dispose([...grads.values()]);
        for (const [k, v] of params)
          expect(maxAbsDiff(v.dataSync(), step.params[k])).toBeLessThanOrEqual(1e-6);
      }
      const sd = opt.stateDict();
      expect([...sd.keys()].sort()).toEqual(
        Object.keys(c.momentumBuffers)
          .map((k) => `momentum_buffer.${k}`)
          .sort(),
      );
      for (const [k, buf] of Object.entries(c.momentumBuffers)) {
        expect(maxAbsDiff(sd.get(`momentum_buffer.${k}`)!.data as Float32Array, buf)).toBeLessThanOrEqual(
          1e-6,
        );
      }
      opt.dispose();
      for (const [, v] of params) v.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('skips parameters without a gradient (no decay, momentum buffer untouched)', () => {
    const a = tf.variable(tf.tensor1d([1]));
    const b = tf.variable(tf.tensor1d([1]));
    const opt = new Sgd(
      [
        ['a', a],
        ['b', b],
      ],
      { momentum: 0.9, weightDecay: 0.5 },
    );
    opt.step(new Map([['a', tf.tensor1d([1])]]), 0.1);
    expect(b.dataSync()[0]).toBe(1);
    expect([...opt.stateDict().keys()]).toEqual(['momentum_buffer.a']);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it('state dict round-trips into a fresh optimizer: continuing gives identical parameters', () => {
    const run = (split: boolean): Float32Array => {
      const p = tf.variable(tf.tensor1d([0.3, -0.7, 1.1]));
      let opt = new Sgd([['w', p]], { momentum: 0.9, weightDecay: 1e-4, nesterov: true });
      for (let i = 0; i < 6; i++) {
        if (split && i === 3) {
          const sd = opt.stateDict();
          opt.dispose();
          opt = new Sgd([['w', p]], { momentum: 0.9, weightDecay: 1e-4, nesterov: true });
          opt.loadStateDict(sd);
        }
        const g = tf.tensor1d([Math.sin(i), Math.cos(i), 0.1 * i]);
        opt.step(new Map([['w', g]]), 0.05);
        g.dispose();
      }
      const out = p.dataSync().slice() as Float32Array;
      opt.dispose();
      p.dispose();
      return out;
    };
    expect(Array.from(run(true))).toEqual(Array.from(run(false)));
  });

  it('rejects bad settings and mismatched state with messages naming the field', () => {
    const p = tf.variable(tf.zeros([2]));
    expect(() => new Sgd([['p', p]], { nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new Sgd([['p', p]], { weightDecay: -1 })).toThrow(TrainingConfigError);
    const opt = new Sgd([['p', p]], { momentum: 0.9 });
    expect(() => opt.step(new Map([['q', tf.zeros([2])]]), 0.1)).toThrow(/unknown parameter "q"/);
    expect(() =>
      opt.loadStateDict(
        new Map([['momentum_buffer.p', { dtype: 'float32', shape: [3], data: new Float32Array(3) }]]),
      ),
    ).toThrow(/momentum_buffer.p is \[3\], parameter is \[2\]/);
    opt.dispose();
    p.dispose();
  });
});
