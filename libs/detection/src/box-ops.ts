/**
 * Box operations on host arrays, bit-exact with torchvision 0.14 (`torchvision.ops.boxes`) in float32.
 *
 * Boxes are `Float32Array`s of length 4·N holding `xyxy` absolute pixel coordinates
 * (`[x1, y1, x2, y2]` per box, x2 ≥ x1). Every arithmetic step is rounded to float32 with `Math.fround`,
 * so IoUs equal torch's bit for bit (exact ties matter to the Matcher's low-quality rule).
 * Tensor versions (`boxIouTensor`, `clipBoxesToImageTensor`) exist for device-side pipelines.
 */
import * as tf from '@tensorflow/tfjs-core';

const f = Math.fround;

/** An image size as torchvision writes it: `[height, width]`. */
export type ImageSize = readonly [number, number];

/** Number of boxes in a flat `xyxy` array; throws when the length is not a multiple of 4. */
export function numBoxes(boxes: ArrayLike<number>, what = 'boxes'): number {
  if (boxes.length % 4 !== 0) {
    throw new Error(
      `box-ops: ${what} has length ${boxes.length}, expected a multiple of 4 (flat xyxy boxes)`,
    );
  }
  return boxes.length / 4;
}

/** Area of each box, `(x2 - x1) * (y2 - y1)` in float32. Returns `[N]`. */
export function boxArea(boxes: Float32Array): Float32Array {
  const n = numBoxes(boxes);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    out[i] = f(f(boxes[o + 2] - boxes[o]) * f(boxes[o + 3] - boxes[o + 1]));
  }
  return out;
}

/**
 * Pairwise IoU like `torchvision.ops.box_iou`: `inter / (area1 + area2 - inter)`.
 * @param a `[M, 4]` xyxy boxes (flat).
 * @param b `[N, 4]` xyxy boxes (flat).
 * @returns `[M, N]` row-major IoU matrix (row = box of `a`).
 */
export function boxIou(a: Float32Array, b: Float32Array): Float32Array {
  const m = numBoxes(a, 'boxes1');
  const n = numBoxes(b, 'boxes2');
  const area1 = boxArea(a);
  const area2 = boxArea(b);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const ax1 = a[4 * i],
      ay1 = a[4 * i + 1],
      ax2 = a[4 * i + 2],
      ay2 = a[4 * i + 3];
    const ar = area1[i];
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const o = 4 * j;
      const w = f(Math.min(ax2, b[o + 2]) - Math.max(ax1, b[o]));
      const h = f(Math.min(ay2, b[o + 3]) - Math.max(ay1, b[o + 1]));
      const inter = f((w > 0 ? w : 0) * (h > 0 ? h : 0));
      out[row + j] = f(inter / f(f(ar + area2[j]) - inter));
    }
  }
  return out;
}

/** Tensor IoU: `a [M, 4]`, `b [N, 4]` xyxy → `[M, N]`. Same formula as {@link boxIou}, on the device. */
export function boxIouTensor(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const area = (t: tf.Tensor2D): tf.Tensor1D => {
      const [x1, y1, x2, y2] = tf.unstack(t, 1);
      return tf.mul(tf.sub(x2, x1), tf.sub(y2, y1)) as tf.Tensor1D;
    };
    const a3 = tf.expandDims(a, 1); // [M, 1, 4]
    const lt = tf.maximum(tf.slice(a3, [0, 0, 0], [-1, -1, 2]), tf.slice(b, [0, 0], [-1, 2]));
    const rb = tf.minimum(tf.slice(a3, [0, 0, 2], [-1, -1, 2]), tf.slice(b, [0, 2], [-1, 2]));
    const wh = tf.relu(tf.sub(rb, lt));
    const [w, h] = tf.unstack(wh, 2);
    const inter = tf.mul(w, h);
    const union = tf.sub(tf.add(tf.expandDims(area(a), 1), tf.expandDims(area(b), 0)), inter);
    return tf.div(inter, union) as tf.Tensor2D;
  });
}

/**
 * Clamps boxes into the image like `clip_boxes_to_image`: x to `[0, width]`, y to `[0, height]`.
 * @param size `[height, width]`. Returns a new array.
 */
export function clipBoxesToImage(boxes: Float32Array, size: ImageSize): Float32Array {
  numBoxes(boxes);
  const [h, w] = size;
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i++) {
    const lim = i % 2 === 0 ? w : h;
    const v = boxes[i];
    out[i] = v < 0 ? 0 : v > lim ? lim : v;
  }
  return out;
}

/** Tensor version of {@link clipBoxesToImage} for `[..., 4]` xyxy boxes. */
export function clipBoxesToImageTensor<T extends tf.Tensor>(boxes: T, size: ImageSize): T {
  const [h, w] = size;
  return tf.tidy(() => tf.minimum(tf.relu(boxes), tf.tensor1d([w, h, w, h]))) as T;
}

/**
 * Indices of boxes whose width and height are both ≥ `minSize` (`remove_small_boxes`), ascending.
 */
export function removeSmallBoxes(boxes: Float32Array, minSize: number): Int32Array {
  const n = numBoxes(boxes);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    const ws = f(boxes[o + 2] - boxes[o]);
    const hs = f(boxes[o + 3] - boxes[o + 1]);
    if (ws >= minSize && hs >= minSize) keep.push(i);
  }
  return Int32Array.from(keep);
}

/** Selects boxes (groups of 4) by index: `boxes[idx]`. */
export function selectBoxes(boxes: Float32Array, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * 4);
  for (let k = 0; k < idx.length; k++) out.set(boxes.subarray(4 * idx[k], 4 * idx[k] + 4), 4 * k);
  return out;
}

/** COCO `xywh` → `xyxy` (`[x, y, x + w, y + h]`), flat arrays. */
export function xywhToXyxy(boxes: Float32Array): Float32Array {
  numBoxes(boxes);
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    out[i] = boxes[i];
    out[i + 1] = boxes[i + 1];
    out[i + 2] = boxes[i] + boxes[i + 2];
    out[i + 3] = boxes[i + 1] + boxes[i + 3];
  }
  return out;
}
