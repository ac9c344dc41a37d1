import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerGradients } from './gradients';

/** Gradients resdet adds, each worked by hand on the cpu backend. */
describe('resdet extra gradients', () => {
  beforeAll(async () => {
    registerGradients();
    await tf.setBackend('cpu');
  });

  const gradOf = (f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number[] =>
    Array.from(
      tf
        .grad((v: tf.Tensor) => tf.sum(f(v)))(x)
        .dataSync(),
    );

  it('GatherNd scatters dy back, summing repeats', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const idx = tf.tensor2d(
      [
        [0, 1],
        [1, 0],
        [0, 1],
      ],
      [3, 2],
      'int32',
    );
    expect(gradOf((v) => tf.gatherND(v, idx), x)).toEqual([0, 2, 1, 0]);
  });

  it('ScatterNd passes dy at the indices to updates', () => {
    const upd = tf.tensor1d([5, 6]);
    const idx = tf.tensor2d([[2], [0]], [2, 1], 'int32');
    const w = tf.tensor1d([10, 20, 30]);
    expect(gradOf((u) => tf.mul(tf.scatterND(idx, u, [3]), w), upd)).toEqual([30, 10]);
  });

  it('StridedSlice puts dy where the slice read, zeros elsewhere (strides 2, shrink axis)', () => {
    const x = tf.reshape(tf.range(0, 12), [3, 4]);
    // rows 0 and 2, columns 1 and 3
    expect(gradOf((v) => tf.stridedSlice(v, [0, 1], [3, 4], [2, 2]), x)).toEqual([
      0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1,
    ]);
    // row 1 only, shrunk to 1-D
    expect(
      gradOf(
        (v) => tf.mul(tf.stridedSlice(v, [1, 0], [2, 4], [1, 1], 0, 0, 0, 0, 1), tf.tensor1d([1, 2, 3, 4])),
        x,
      ),
    ).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
  });

  it('TopK routes dy to the chosen elements per row', () => {
    const x = tf.tensor2d([
      [3, 1, 2],
      [0, 5, 4],
    ]);
    expect(
      gradOf(
        (v) =>
          tf.mul(
            tf.topk(v, 2).values,
            tf.tensor2d([
              [1, 10],
              [100, 1000],
            ]),
          ),
        x,
      ),
    ).toEqual([1, 0, 10, 0, 100, 1000]);
  });

  it('Cumsum along a non-last axis keeps the shape (tfjs 4.22 transposes it)', () => {
    const x = tf.ones([2, 3, 2]);
    // d/dx_i Σ_j cumsum_j = number of j ≥ i along axis 1: 3, 2, 1
    expect(gradOf((v) => tf.cumsum(v, 1), x)).toEqual([3, 3, 2, 2, 1, 1, 3, 3, 2, 2, 1, 1]);
  });

  it('comparisons and NMS have zero gradients, so smooth-L1 with where(less(…)) differentiates', () => {
    const d = tf.tensor1d([0.05, 0.5, -2]);
    const beta = 1 / 9;
    const g = gradOf((v) => {
      const a = tf.abs(v);
      return tf.where(tf.less(a, beta), tf.div(tf.mul(tf.square(a), 0.5), beta), tf.sub(a, 0.5 * beta));
    }, d);
    expect(g[0]).toBeCloseTo(0.05 / beta, 5);
    expect(g.slice(1)).toEqual([1, -1]);
    const boxes = tf.tensor2d([
      [0, 0, 1, 1],
      [0, 0, 1, 1.1],
    ]);
    const s = tf.tensor1d([0.9, 0.8]);
    expect(
      gradOf((v) => tf.gather(v, tf.image.nonMaxSuppression(boxes, v as tf.Tensor1D, 2, 0.5)), s),
    ).toEqual([1, 0]);
  });
});
