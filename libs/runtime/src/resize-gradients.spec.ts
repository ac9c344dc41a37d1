import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from './gradients';
import { nearestSources } from './resize-gradients';
import { registerResdetKernels } from './kernels/register';

/**
 * The resize gradients are the adjoint of tfjs's forward resize: ⟨resize(x), dy⟩ = ⟨x, grad(dy)⟩ for random
 * x and dy (forward kernels are the independent truth). Tolerance ADJOINT_RTOL relative to |⟨resize(x), dy⟩|+1.
 */
const ADJOINT_RTOL = 1e-5;

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

type Resize = (x: tf.Tensor4D) => tf.Tensor4D;
const CASES: Array<[string, Resize]> = [
  ['nearest ×2 (FPN upsampling)', (x) => tf.image.resizeNearestNeighbor(x, [14, 22])],
  ['nearest to odd size', (x) => tf.image.resizeNearestNeighbor(x, [5, 13])],
  ['nearest alignCorners', (x) => tf.image.resizeNearestNeighbor(x, [9, 17], true)],
  ['nearest halfPixelCenters', (x) => tf.image.resizeNearestNeighbor(x, [10, 6], false, true)],
  ['bilinear up, non-square', (x) => tf.image.resizeBilinear(x, [12, 20])],
  ['bilinear down', (x) => tf.image.resizeBilinear(x, [4, 5])],
  ['bilinear alignCorners', (x) => tf.image.resizeBilinear(x, [9, 23], true)],
  [
    'bilinear halfPixelCenters (torch align_corners=False)',
    (x) => tf.image.resizeBilinear(x, [15, 8], false, true),
  ],
];

describe('resize gradients are the adjoint of the forward resize', () => {
  beforeAll(() => {
    registerGradients();
    registerResdetKernels();
  });

  it('maps output rows to nearest source rows like tfjs (hand-worked: 3 → 7, legacy)', () => {
    expect(
      Array.from(nearestSources(3, 7, { alignCorners: false, halfPixelCenters: false, size: [7, 7] })),
    ).toEqual([0, 0, 0, 1, 1, 2, 2]);
  });

  for (const backend of ['cpu', 'wasm']) {
    it.each(CASES)(`${backend}: %s`, async (_name, resize) => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(seeded(2 * 7 * 11 * 3, 1), [2, 7, 11, 3]);
      const y = resize(x);
      const dy = tf.tensor(seeded(y.size, 2), y.shape);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(resize(v as tf.Tensor4D), dy)))(x);
      expect(g.shape).toEqual(x.shape);
      const lhs = tf.sum(tf.mul(y, dy)).dataSync()[0];
      const rhs = tf.sum(tf.mul(x, g)).dataSync()[0];
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(ADJOINT_RTOL * (1 + Math.abs(lhs)));
      tf.dispose([x, y, dy, g]);
    });
  }
});
