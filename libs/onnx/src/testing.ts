import * as tf from '@tensorflow/tfjs-core';
import { Module, StateDict } from '@resdet/nn';
import { Rng } from '@resdet/random';

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
    else if (k.endsWith('running_mean') || k.endsWith('.bias'))
      d.forEach((_, i) => (d[i] = rng.range(-0.2, 0.2)));
    else if (k.endsWith('.weight')) d.forEach((_, i) => (d[i] = rng.range(0.5, 1.5)));
  }
  m.loadStateDict(sd);
}

/** `[N, H, W, C]` tensor → NCHW host array. */
export function nhwcToNchw(t: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** One image's detections as flat arrays (boxes `[D, 4]` xyxy). */
export interface FlatDetections {
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
}

function iou(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const [ax1, ay1, ax2, ay2] = [a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3]];
  const [bx1, by1, bx2, by2] = [b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]];
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : ax1 === bx1 && ay1 === by1 && ax2 === bx2 && ay2 === by2 ? 1 : 0;
}

/**
 * The issue's matching rule: one-to-one greedy matching (in `a`'s score order) of detections with the same class,
 * IoU ≥ `minIou` and |Δscore| ≤ `scoreTol`. Returns matched / max(|a|, |b|) (1 when both are empty) and the
 * largest score and box-coordinate differences among matches.
 */
export function matchDetections(
  a: FlatDetections,
  b: FlatDetections,
  minIou = 0.99,
  scoreTol = 1e-3,
): { fraction: number; matched: number; total: number; maxScoreDiff: number; maxBoxDiff: number } {
  const na = a.scores.length;
  const nb = b.scores.length;
  const used = new Uint8Array(nb);
  let matched = 0;
  let maxScoreDiff = 0;
  let maxBoxDiff = 0;
  for (let i = 0; i < na; i++) {
    let best = -1;
    let bestIou = minIou;
    for (let j = 0; j < nb; j++) {
      if (used[j] || a.labels[i] !== b.labels[j] || Math.abs(a.scores[i] - b.scores[j]) > scoreTol) continue;
      const v = iou(a.boxes, i, b.boxes, j);
      if (v >= bestIou) {
        best = j;
        bestIou = v;
      }
    }
    if (best < 0) continue;
    used[best] = 1;
    matched++;
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(a.scores[i] - b.scores[best]));
    for (let k = 0; k < 4; k++)
      maxBoxDiff = Math.max(maxBoxDiff, Math.abs(a.boxes[4 * i + k] - b.boxes[4 * best + k]));
  }
  const total = Math.max(na, nb);
  return { fraction: total === 0 ? 1 : matched / total, matched, total, maxScoreDiff, maxBoxDiff };
}
