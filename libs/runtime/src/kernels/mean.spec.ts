import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '../gradients';
import { registerResdetKernels } from './register';
import { onBackends, seededFloats } from './testing';

/**
 * wasm's Mean vs cpu's, relative to the largest |cpu| value. cpu accumulates in float64 and rounds once; so does
 * resdet's wasm Mean, so the two differ by a few ulp (float32 ulp ≈ 6e-8 relative).
 */
const MEAN_RTOL = 1e-6;

/** max|a − b| / max|b|. */
function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale > 0 ? err / scale : err;
}

/**
 * A conv-output-like activation at the shapes demo's stem after conv1 (2 images of 64×64, 16 channels: BatchNorm
 * reduces 8192 values per channel), each channel with its own offset and spread (|mean|/std up to ~1). As in the
 * detector's batch, the second image is 48 rows padded to 64: its last 16 rows are a per-channel constant. A run
 * of equal summands is what makes a float32 running sum drift (the same rounding, again and again).
 */
function stemActivation(): tf.Tensor4D {
  const [n, h, w, c] = [2, 64, 64, 16];
  const u = seededFloats(n * h * w * c, 901);
  const v = Float32Array.from(u, (x, i) => {
    const ch = i % c;
    const pixel = Math.floor(i / c);
    const offset = (0.3 * (ch - 7.5)) / 7.5;
    const padded = pixel >= h * w && Math.floor(pixel / w) % h >= 48;
    return padded ? offset + 0.1 * (ch % 3) : offset + (0.2 + 0.05 * ch) * x;
  });
  return tf.tensor4d(v, [n, h, w, c]);
}

describe('Mean on wasm (float64 accumulation; replaces tfjs-backend-wasm 4.22’s float32 running sum)', () => {
  beforeAll(() => {
    registerGradients();
    registerResdetKernels();
  });

  it('the stem-shaped data is hard for a float32 running sum (the regression below would catch the old kernel)', async () => {
    // Emulates tfjs-backend-wasm 4.22's Mean (bit-exact on the detector's activations): per channel, values added
    // in N·H·W order into a float32 accumulator, then divided.
    const [cpuVar] = await onBackends(['cpu'], () => tf.moments(stemActivation(), [0, 1, 2]).variance);
    const x = stemActivation();
    const data = x.dataSync();
    x.dispose();
    const c = 16;
    const count = data.length / c;
    const f = Math.fround;
    const naiveVar = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let i = 0; i < count; i++) s = f(s + data[i * c + ch]);
      const m = f(s / count);
      let q = 0;
      for (let i = 0; i < count; i++) {
        const d = f(data[i * c + ch] - m);
        q = f(q + f(d * d));
      }
      naiveVar[ch] = f(q / count);
    }
    expect(rel(naiveVar, cpuVar)).toBeGreaterThan(10 * MEAN_RTOL);
  });

  it('matches cpu within MEAN_RTOL: BatchNorm batch statistics (tf.moments over N·H·W) at the stem shape', async () => {
    const [cpuMean, wasmMean] = await onBackends(
      ['cpu', 'wasm'],
      () => tf.moments(stemActivation(), [0, 1, 2]).mean,
    );
    const [cpuVar, wasmVar] = await onBackends(
      ['cpu', 'wasm'],
      () => tf.moments(stemActivation(), [0, 1, 2]).variance,
    );
    expect(rel(wasmMean, cpuMean)).toBeLessThanOrEqual(MEAN_RTOL);
    expect(rel(wasmVar, cpuVar)).toBeLessThanOrEqual(MEAN_RTOL);
  });

  it('matches cpu within MEAN_RTOL: train-mode BatchNorm output and its input gradient at the stem shape', async () => {
    const bn = (x: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    };
    const [cpuY, wasmY] = await onBackends(['cpu', 'wasm'], () => bn(stemActivation()));
    expect(rel(wasmY, cpuY)).toBeLessThanOrEqual(MEAN_RTOL);
    const grad = (): tf.Tensor => {
      const x = stemActivation();
      const g = tf.tensor4d(seededFloats(x.size, 902), x.shape);
      return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(bn(v), g)))(x);
    };
    const [cpuG, wasmG] = await onBackends(['cpu', 'wasm'], grad);
    // The gradient's own reductions (Sum) still accumulate in float32 on wasm: 1e-5 (KERNEL_RTOL's bound).
    expect(rel(wasmG, cpuG)).toBeLessThanOrEqual(1e-5);
  });

  const cases: Array<[string, number[], number | number[] | undefined, boolean]> = [
    ['leading axes (NHWC batch statistics)', [3, 5, 7, 4], [0, 1, 2], false],
    ['leading axes, keepDims', [3, 5, 7, 4], [0, 1, 2], true],
    ['trailing axis', [6, 33], -1, false],
    ['middle axis', [4, 9, 5], 1, true],
    ['non-contiguous axes (transposed first)', [4, 3, 5, 2], [0, 2], false],
    ['non-contiguous axes, keepDims, unsorted', [4, 3, 5, 2], [3, 1], true],
    ['all axes (axis undefined)', [7, 11], undefined, false],
    ['no axes (identity)', [3, 4], [], false],
  ];

  it.each(cases)('matches cpu within MEAN_RTOL, same shape: %s', async (_name, shape, axis, keepDims) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const run = (): tf.Tensor => tf.mean(tf.tensor(seededFloats(size, 77), shape), axis, keepDims);
    const [cpu, wasm] = await onBackends(['cpu', 'wasm'], run);
    expect(rel(wasm, cpu)).toBeLessThanOrEqual(MEAN_RTOL);
    await tf.setBackend('wasm');
    const onWasm = tf.tidy(run);
    await tf.setBackend('cpu');
    const onCpu = tf.tidy(run);
    expect([onWasm.shape, onWasm.dtype]).toEqual([onCpu.shape, onCpu.dtype]);
    tf.dispose([onWasm, onCpu]);
  });

  it('int32 and bool inputs: float32 means, as cpu (within MEAN_RTOL: cpu divides before it sums)', async () => {
    const ints = (): tf.Tensor => tf.mean(tf.tensor2d([1, 2, 4, 7, -3, 5], [2, 3], 'int32'), 1);
    const bools = (): tf.Tensor => tf.mean(tf.tensor2d([1, 0, 1, 1, 0, 0], [2, 3], 'bool'), 0);
    for (const run of [ints, bools]) {
      const [cpu, wasm] = await onBackends(['cpu', 'wasm'], run);
      expect(rel(wasm, cpu)).toBeLessThanOrEqual(MEAN_RTOL);
    }
  });

  it('gradient flows through (tf.mean’s gradient is unchanged)', async () => {
    const run = (): tf.Tensor =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.mean(v, [0, 1]))))(
        tf.tensor3d(seededFloats(24, 5), [2, 3, 4]),
      );
    const [cpu, wasm] = await onBackends(['cpu', 'wasm'], run);
    expect(rel(wasm, cpu)).toBeLessThanOrEqual(MEAN_RTOL);
  });
});
