import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'fs';
import * as path from 'path';
import { clipGradNorm } from './grad-clip';

/** Fixture: tools/training/make_sgd_fixture.py — torch 1.13 torch.nn.utils.clip_grad_norm_. */
const FIXTURE = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../test/fixtures/training/sgd-fixture.json'), 'utf8'),
) as {
  clip: {
    normType: number | 'inf';
    maxNorm: number;
    grads: number[][];
    shapes: number[][];
    totalNorm: number;
    clipped: number[][];
  }[];
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('clipGradNorm', () => {
  it('hand-worked: norm of (3, 4) is 5; max 1 → scale 1/(5+1e-6)', async () => {
    const g = new Map([
      ['a', tf.tensor1d([3])],
      ['b', tf.tensor1d([4])],
    ]);
    const { grads, totalNorm } = await clipGradNorm(g, 1);
    expect(totalNorm).toBeCloseTo(5, 6);
    expect(grads.get('a')!.dataSync()[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(grads.get('b')!.dataSync()[0]).toBeCloseTo(4 / (5 + 1e-6), 6);
    tf.dispose([...g.values(), ...grads.values()]);
  });

  for (const c of FIXTURE.clip) {
    it(`matches torch clip_grad_norm_ (p=${c.normType}, max ${c.maxNorm}) ≤1e-6 relative`, async () => {
      const before = tf.memory().numTensors;
      const g = new Map(c.grads.map((v, i) => [`g${i}`, tf.tensor(v, c.shapes[i])]));
      const p = c.normType === 'inf' ? Infinity : c.normType;
      const { grads, totalNorm } = await clipGradNorm(g, c.maxNorm, p);
      expect(Math.abs(totalNorm - c.totalNorm) / c.totalNorm).toBeLessThan(1e-6);
      c.clipped.forEach((want, i) => {
        const got = grads.get(`g${i}`)!.dataSync();
        want.forEach((w, j) =>
          expect(Math.abs(got[j] - w)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w))),
        );
      });
      tf.dispose([...g.values(), ...grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('rejects a non-positive max norm', async () => {
    await expect(clipGradNorm(new Map(), 0)).rejects.toThrow(/maxNorm must be > 0/);
  });
});
