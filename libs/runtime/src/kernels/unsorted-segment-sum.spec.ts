import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { unsortedSegmentSumReference } from './reference';
import { registerResdetKernels } from './register';
import { KERNEL_RTOL, onBackends, relativeError, seededFloats, seededInt } from './testing';

describe('UnsortedSegmentSum on wasm (scatter-add)', () => {
  beforeAll(async () => {
    registerResdetKernels();
    await tf.setBackend('wasm');
  });

  it('sums rows into segments, by hand', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const ids = tf.tensor1d([2, 0, 2, 5], 'int32'); // 5 is out of range: dropped
    const out = tf.unsortedSegmentSum(x, ids, 3);
    expect(out.arraySync()).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
    ]);
    tf.dispose([x, ids, out]);
  });

  it('keeps int32', () => {
    const out = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([3, 3]);
  });

  it('matches cpu (1-D ids, as tfjs supports) and the reference (also multi-dim ids, TF semantics) within KERNEL_RTOL', async () => {
    for (let i = 0; i < 10; i++) {
      const s = 77 + i * 13;
      const idShape = i % 2 ? [seededInt(s, 1, 20)] : [seededInt(s, 1, 5), seededInt(s + 1, 1, 6)];
      const rest = [seededInt(s + 2, 1, 4), seededInt(s + 3, 1, 5)];
      const numSegments = seededInt(s + 4, 1, 8);
      const n = idShape.reduce((a, b) => a * b);
      const ids = Int32Array.from(seededFloats(n, s + 5), (v) => Math.floor(v * (numSegments + 1)));
      const xv = seededFloats(n * rest[0] * rest[1], s + 6);
      const run = (): tf.Tensor =>
        tf.unsortedSegmentSum(
          tf.tensor(xv, [...idShape, ...rest]),
          tf.tensor(ids, idShape as [number], 'int32'),
          numSegments,
        );
      const [wasm] = await onBackends(['wasm'], run);
      if (idShape.length === 1) {
        const [cpu] = await onBackends(['cpu'], run);
        expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(KERNEL_RTOL);
      }
      expect(
        relativeError(wasm, unsortedSegmentSumReference(xv, ids, numSegments, rest[0] * rest[1])),
      ).toBeLessThanOrEqual(KERNEL_RTOL);
    }
  });

  it('gives tf.gather its gradient on wasm', async () => {
    const { registerGradients } = await import('../gradients');
    registerGradients();
    await tf.setBackend('wasm');
    const p = tf.variable(
      tf.tensor2d([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    );
    const { grads } = tf.variableGrads(() => tf.sum(tf.gather(p, tf.tensor1d([2, 0, 2], 'int32'))));
    expect(grads[p.name].arraySync()).toEqual([
      [1, 1],
      [0, 0],
      [2, 2],
    ]);
    tf.dispose([p, grads[p.name]]);
  });
});
