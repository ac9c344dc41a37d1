import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng, StateDict } from '@resdet/nn';

/**
 * Test helpers shared by this lib's specs and test/onnx (not exported from index.ts): randomised norm
 * statistics so that BN folding is really exercised, and NHWC ↔ NCHW host conversions.
 */

/** Replaces every norm's weight/bias/running_mean/running_var with seeded random values (var in [0.5, 1.5]). */
export function randomizeNorms(m: Module, seed = 7): void {
  const rng = new Rng(seed);
  const sd: StateDict = m.stateDict();
  for (const [k, t] of sd) {
    if (t.dtype !== 'float32') continue;
    const isNorm = /(^|\.)(bn\d|downsample\.1)\./.test(k) || k.startsWith('bn1.');
    if (!isNorm) continue;
    const d = t.data as Float32Array;
    if (k.endsWith('running_var')) d.forEach((_, i) => (d[i] = rng.range(0.5, 1.5)));
    else if (k.endsWith('running_mean') || k.endsWith('.bias')) d.forEach((_, i) => (d[i] = rng.range(-0.2, 0.2)));
    else if (k.endsWith('.weight')) d.forEach((_, i) => (d[i] = rng.range(0.5, 1.5)));
  }
  m.loadStateDict(sd);
}

/** `[N, H, W, C]` tensor → NCHW host array. */
export function nhwcToNchw(t: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
