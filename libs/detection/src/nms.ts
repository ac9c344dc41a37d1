/**
 * Non-maximum suppression on host arrays, exactly like torchvision 0.14's CPU kernel
 * (`torchvision.ops.nms`, `batched_nms`).
 *
 * Order: boxes are visited by score, descending, with a **stable** sort (torchvision's kernel calls
 * `scores.sort(stable=true, descending=true)`), so among equal scores the lower index comes first. A box is
 * suppressed when its IoU with an already kept box is **strictly greater** than the threshold. IoU uses float32
 * arithmetic like the kernel (areas precomputed as `(x2-x1)*(y2-y1)`, no `+1`).
 *
 * `batchedNms` picks torchvision's CPU strategy: the coordinate-offset trick when `4·N ≤ 4000`, the per-class
 * loop otherwise. The per-class path ends with torch's *unstable* `sort(descending=True)`, so for exactly equal
 * scores across classes torchvision's order is unspecified; ours is stable (lower index first).
 */
import { numBoxes } from './box-ops';

const f = Math.fround;

/** Indices `0..n-1` sorted by `scores` descending, stable. */
export function argsortDescending(scores: ArrayLike<number>, idx?: ArrayLike<number>): Int32Array {
  const order = idx
    ? Int32Array.from(idx as ArrayLike<number>)
    : Int32Array.from({ length: scores.length }, (_, i) => i);
  // Array.prototype.sort is stable (ES2019); typed-array sort is too, but sort a plain array to be explicit.
  const a = Array.from(order);
  a.sort((i, j) => scores[j] - scores[i] || i - j);
  return Int32Array.from(a);
}

/**
 * torchvision `nms`.
 * @param boxes `[N, 4]` xyxy (flat).
 * @param scores `[N]`.
 * @param iouThreshold discard boxes with IoU > this.
 * @returns kept indices, in decreasing score order.
 */
export function nms(boxes: Float32Array, scores: ArrayLike<number>, iouThreshold: number): Int32Array {
  const n = numBoxes(boxes);
  if (scores.length !== n) {
    throw new Error(`nms: scores has length ${scores.length}, boxes has ${n} boxes; they must match`);
  }
  const areas = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    areas[i] = f(f(boxes[4 * i + 2] - boxes[4 * i]) * f(boxes[4 * i + 3] - boxes[4 * i + 1]));
  }
  const order = argsortDescending(scores);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi];
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = boxes[4 * i],
      iy1 = boxes[4 * i + 1],
      ix2 = boxes[4 * i + 2],
      iy2 = boxes[4 * i + 3];
    const iarea = areas[i];
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj];
      if (suppressed[j]) continue;
      const w = f(Math.min(ix2, boxes[4 * j + 2]) - Math.max(ix1, boxes[4 * j]));
      const h = f(Math.min(iy2, boxes[4 * j + 3]) - Math.max(iy1, boxes[4 * j + 1]));
      const inter = f((w > 0 ? w : 0) * (h > 0 ? h : 0));
      const ovr = f(inter / f(f(iarea + areas[j]) - inter));
      if (ovr > iouThreshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}

/**
 * torchvision `batched_nms`: NMS independently per category `idxs[i]`.
 * @returns kept indices, in decreasing score order.
 */
export function batchedNms(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  idxs: ArrayLike<number>,
  iouThreshold: number,
): Int32Array {
  const n = numBoxes(boxes);
  if (scores.length !== n || idxs.length !== n) {
    throw new Error(
      `batchedNms: boxes (${n}), scores (${scores.length}) and idxs (${idxs.length}) must have equal counts`,
    );
  }
  if (n === 0) return new Int32Array(0);
  return boxes.length > 4000
    ? batchedNmsPerClass(boxes, scores, idxs, iouThreshold)
    : batchedNmsCoordinateTrick(boxes, scores, idxs, iouThreshold);
}

/** torchvision `_batched_nms_coordinate_trick`: offset each class by `idx * (max coordinate + 1)` (float32). */
export function batchedNmsCoordinateTrick(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  idxs: ArrayLike<number>,
  iouThreshold: number,
): Int32Array {
  if (boxes.length === 0) return new Int32Array(0);
  let maxCoord = -Infinity;
  for (let i = 0; i < boxes.length; i++) if (boxes[i] > maxCoord) maxCoord = boxes[i];
  const step = f(maxCoord + 1);
  const shifted = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i++) shifted[i] = boxes[i] + f(idxs[i >> 2] * step);
  return nms(shifted, scores, iouThreshold);
}

/** torchvision `_batched_nms_vanilla`: plain NMS per class, then all kept sorted by score (stable here). */
export function batchedNmsPerClass(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  idxs: ArrayLike<number>,
  iouThreshold: number,
): Int32Array {
  const n = numBoxes(boxes);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byClass.get(idxs[i]);
    if (list) list.push(i);
    else byClass.set(idxs[i], [i]);
  }
  const keepMask = new Uint8Array(n);
  for (const members of byClass.values()) {
    const sub = new Float32Array(members.length * 4);
    const subScores = new Float32Array(members.length);
    members.forEach((m, k) => {
      sub.set(boxes.subarray(4 * m, 4 * m + 4), 4 * k);
      subScores[k] = scores[m];
    });
    for (const k of nms(sub, subScores, iouThreshold)) keepMask[members[k]] = 1;
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (keepMask[i]) kept.push(i);
  return argsortDescending(scores, kept);
}
