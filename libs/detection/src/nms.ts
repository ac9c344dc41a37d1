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
 * @param maxKeep stop once this many boxes are kept. Greedy NMS decides each box from the boxes before it, so
 *   the result is exactly the first `maxKeep` of the full result (the caller's `keep[:n]`), found sooner.
 * @returns kept indices, in decreasing score order.
 */
export function nms(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  iouThreshold: number,
  maxKeep = Infinity,
): Int32Array {
  const n = numBoxes(boxes);
  if (scores.length !== n) {
    throw new Error(`nms: scores has length ${scores.length}, boxes has ${n} boxes; they must match`);
  }
  const order = argsortDescending(scores);
  // Coordinates and areas in visiting order, so the inner loop reads memory forwards.
  const x1 = new Float32Array(n);
  const y1 = new Float32Array(n);
  const x2 = new Float32Array(n);
  const y2 = new Float32Array(n);
  const areas = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = 4 * order[k];
    x1[k] = boxes[i];
    y1[k] = boxes[i + 1];
    x2[k] = boxes[i + 2];
    y2[k] = boxes[i + 3];
    areas[k] = f(f(x2[k] - x1[k]) * f(y2[k] - y1[k]));
  }
  // The boxes not yet suppressed, in visiting order: the first is kept, and it filters the rest in place.
  const alive = Int32Array.from({ length: n }, (_, k) => k);
  let count = n;
  const keep: number[] = [];
  while (count > 0 && keep.length < maxKeep) {
    const i = alive[0];
    keep.push(order[i]);
    const ix1 = x1[i],
      iy1 = y1[i],
      ix2 = x2[i],
      iy2 = y2[i],
      iarea = areas[i];
    let m = 0;
    for (let t = 1; t < count; t++) {
      const j = alive[t];
      const left = Math.max(ix1, x1[j]),
        right = Math.min(ix2, x2[j]),
        top = Math.max(iy1, y1[j]),
        bottom = Math.min(iy2, y2[j]);
      let ovr: number;
      if (right > left && bottom > top) {
        const inter = f(f(right - left) * f(bottom - top));
        ovr = f(inter / f(f(iarea + areas[j]) - inter));
      } else {
        // Disjoint (most pairs): the kernel's IoU is 0, or NaN when both areas are 0.
        ovr = f(iarea + areas[j]) === 0 ? NaN : 0;
      }
      // `!(>)` rather than `<=`: a NaN overlap (degenerate boxes) suppresses nothing, as in the kernel.
      if (!(ovr > iouThreshold)) alive[m++] = j;
    }
    count = m;
  }
  return Int32Array.from(keep);
}

/**
 * torchvision `batched_nms`: NMS independently per category `idxs[i]`.
 * @param maxKeep return at most this many: exactly the first `maxKeep` of the full result (see {@link nms}).
 * @returns kept indices, in decreasing score order.
 */
export function batchedNms(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  idxs: ArrayLike<number>,
  iouThreshold: number,
  maxKeep = Infinity,
): Int32Array {
  const n = numBoxes(boxes);
  if (scores.length !== n || idxs.length !== n) {
    throw new Error(
      `batchedNms: boxes (${n}), scores (${scores.length}) and idxs (${idxs.length}) must have equal counts`,
    );
  }
  if (n === 0) return new Int32Array(0);
  return boxes.length > 4000
    ? batchedNmsPerClass(boxes, scores, idxs, iouThreshold, maxKeep)
    : batchedNmsCoordinateTrick(boxes, scores, idxs, iouThreshold, maxKeep);
}

/** torchvision `_batched_nms_coordinate_trick`: offset each class by `idx * (max coordinate + 1)` (float32). */
export function batchedNmsCoordinateTrick(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  idxs: ArrayLike<number>,
  iouThreshold: number,
  maxKeep = Infinity,
): Int32Array {
  if (boxes.length === 0) return new Int32Array(0);
  let maxCoord = -Infinity;
  for (let i = 0; i < boxes.length; i++) if (boxes[i] > maxCoord) maxCoord = boxes[i];
  const step = f(maxCoord + 1);
  const shifted = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i++) shifted[i] = boxes[i] + f(idxs[i >> 2] * step);
  return nms(shifted, scores, iouThreshold, maxKeep);
}

/**
 * torchvision `_batched_nms_vanilla`: plain NMS per class, then all kept sorted by score (stable here). Each
 * class stops at `maxKeep` kept: a box among the first `maxKeep` overall is among the first `maxKeep` of its class.
 */
export function batchedNmsPerClass(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  idxs: ArrayLike<number>,
  iouThreshold: number,
  maxKeep = Infinity,
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
    for (const k of nms(sub, subScores, iouThreshold, maxKeep)) keepMask[members[k]] = 1;
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (keepMask[i]) kept.push(i);
  const sorted = argsortDescending(scores, kept);
  return sorted.length > maxKeep ? sorted.slice(0, maxKeep) : sorted;
}
