/**
 * Fast R-CNN inference post-processing, torchvision's `RoIHeads.postprocess_detections`, on host arrays.
 *
 * Per image: softmax over class logits, per-class decode of the box regression against the proposals
 * (BoxCoder weights (10, 10, 5, 5)), clip to the image, drop the background column, flatten (proposal-major,
 * class-minor), keep `score > scoreThresh`, remove boxes with a side < 1e-2, class-wise NMS, keep the top
 * `detectionsPerImg` by score.
 *
 * @example
 * const dets = postprocessDetections(logits, regression, [proposals0, proposals1], [[800, 1066], [800, 1199]], 91);
 * // dets[0].boxes: Float32Array [D, 4] xyxy in resized-image pixels; scores [D]; labels Int32Array [D] (1..K-1)
 */
import { clipBoxesToImage, ImageSize, removeSmallBoxes } from './box-ops';
import { BoxCoder, BoxCoderWeights } from './box-coder';
import { batchedNms } from './nms';

const f = Math.fround;

export interface PostprocessOptions {
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImg: number;
  bboxRegWeights: BoxCoderWeights;
  /** torchvision hard-codes 1e-2 (`remove_small_boxes(boxes, min_size=1e-2)`). */
  minBoxSize: number;
}

export const POSTPROCESS_DEFAULTS: Readonly<PostprocessOptions> = Object.freeze({
  scoreThresh: 0.05,
  nmsThresh: 0.5,
  detectionsPerImg: 100,
  bboxRegWeights: [10, 10, 5, 5] as const,
  minBoxSize: 1e-2,
});

export interface Detections {
  /** `[D, 4]` xyxy. */
  boxes: Float32Array;
  /** `[D]`, descending. */
  scores: Float32Array;
  /** `[D]` class indices (background 0 never appears). */
  labels: Int32Array;
}

/** Row-wise softmax of `[R, K]` logits in float32 (max-shifted, scaled by the reciprocal sum like torch's CPU kernel). */
export function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = f(Math.exp(f(logits[r + j] - max)));
      out[r + j] = e;
      sum = f(sum + e);
    }
    const inv = f(1 / sum);
    for (let j = 0; j < k; j++) out[r + j] = f(out[r + j] * inv);
  }
  return out;
}

/**
 * @param classLogits `[R, K]` for all images' proposals, concatenated.
 * @param boxRegression `[R, 4K]`.
 * @param proposals per image `[R_i, 4]` xyxy.
 * @param imageShapes per image `[h, w]` (resized, unpadded).
 * @param numClasses K (including background).
 */
export function postprocessDetections(
  classLogits: Float32Array,
  boxRegression: Float32Array,
  proposals: readonly Float32Array[],
  imageShapes: readonly ImageSize[],
  numClasses: number,
  options: Partial<PostprocessOptions> = {},
): Detections[] {
  const o = { ...POSTPROCESS_DEFAULTS, ...options };
  const k = numClasses;
  const total = proposals.reduce((n, p) => n + p.length / 4, 0);
  if (classLogits.length !== total * k || boxRegression.length !== total * 4 * k) {
    throw new Error(
      `postprocessDetections: ${total} proposals × ${k} classes need ${total * k} logits and ${total * 4 * k} ` +
        `regression values, got ${classLogits.length} and ${boxRegression.length}`,
    );
  }
  if (imageShapes.length !== proposals.length) {
    throw new Error(
      `postprocessDetections: ${imageShapes.length} image shapes for ${proposals.length} images`,
    );
  }
  const coder = new BoxCoder(o.bboxRegWeights);
  const scoresAll = softmaxRows(classLogits, k);
  const results: Detections[] = [];
  let offset = 0;
  proposals.forEach((props, img) => {
    const n = props.length / 4;
    const codes = boxRegression.subarray(offset * 4 * k, (offset + n) * 4 * k);
    const boxes = clipBoxesToImage(coder.decode(codes, props), imageShapes[img]); // [n, k, 4]
    const cand: number[] = []; // flat (proposal, class ≥ 1) indices with score > thresh
    for (let i = 0; i < n; i++) {
      for (let c = 1; c < k; c++) if (scoresAll[(offset + i) * k + c] > o.scoreThresh) cand.push(i * k + c);
    }
    const candBoxes = new Float32Array(cand.length * 4);
    cand.forEach((q, j) => candBoxes.set(boxes.subarray(4 * q, 4 * q + 4), 4 * j));
    const keepSmall = removeSmallBoxes(candBoxes, o.minBoxSize);
    const bx = new Float32Array(keepSmall.length * 4);
    const sc = new Float32Array(keepSmall.length);
    const lb = new Int32Array(keepSmall.length);
    keepSmall.forEach((j, m) => {
      const q = cand[j];
      bx.set(candBoxes.subarray(4 * j, 4 * j + 4), 4 * m);
      sc[m] = scoresAll[offset * k + q];
      lb[m] = q % k;
    });
    const keep = batchedNms(bx, sc, lb, o.nmsThresh, o.detectionsPerImg);
    const det: Detections = {
      boxes: new Float32Array(keep.length * 4),
      scores: new Float32Array(keep.length),
      labels: new Int32Array(keep.length),
    };
    keep.forEach((j, m) => {
      det.boxes.set(bx.subarray(4 * j, 4 * j + 4), 4 * m);
      det.scores[m] = sc[j];
      det.labels[m] = lb[j];
    });
    results.push(det);
    offset += n;
  });
  return results;
}
