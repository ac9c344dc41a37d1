import * as tf from '@tensorflow/tfjs-core';

/**
 * Test helpers shared by the kernel specs (not exported from the lib): seeded data and backend comparison.
 * Kernel results are compared with a relative tolerance: max|a − b| ≤ rtol · max(1, max|b|).
 */

/** Tolerance for float32 kernels whose sums are reordered (im2col+GEMM vs direct loops): 1e-5 relative. */
export const KERNEL_RTOL = 1e-5;

/** Seeded uniform [-1, 1) floats (mulberry32), so failures reproduce. */
export function seededFloats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Seeded integer in [lo, hi]. */
export function seededInt(seed: number, lo: number, hi: number): number {
  return lo + Math.floor(((seededFloats(1, seed)[0] + 1) / 2) * (hi - lo + 1));
}

/** Runs `fn` on each backend (inputs made inside `fn`) and returns the flat results. */
export async function onBackends(backends: string[], fn: () => tf.Tensor): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const b of backends) {
    if (!(await tf.setBackend(b)) || tf.getBackend() !== b)
      throw new Error(`backend ${b} did not initialise`);
    const t = tf.tidy(fn);
    out.push(Float32Array.from(await t.data()));
    t.dispose();
  }
  return out;
}

/** max|a − b| / max(1, max|b|): the quantity the tolerance bounds. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}
