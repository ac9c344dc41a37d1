/**
 * BoxCoder: torchvision's `(dx, dy, dw, dh)` box parameterisation (`_utils.BoxCoder`, `encode_boxes`).
 *
 * Widths are `x2 - x1` (no `+1`: torchvision ≥ 0.3 dropped Detectron's TO_REMOVE), centres `x1 + 0.5·w`.
 * Decoding clamps `dw`, `dh` at `log(1000/16)` before `exp`. Host versions work on flat `Float32Array`s with
 * float32 rounding at each step in torchvision's order; tensor versions do the same on the device.
 *
 * @example
 * const rpnCoder = new BoxCoder([1, 1, 1, 1]);
 * const headCoder = new BoxCoder([10, 10, 5, 5]);
 * const targets = headCoder.encode(matchedGtBoxes, proposals); // [N, 4]
 * const boxes = headCoder.decode(boxRegression, proposals);   // [N, K, 4] for [N, 4K] codes
 */
import * as tf from '@tensorflow/tfjs-core';
import { numBoxes } from './box-ops';

const f = Math.fround;

/** torchvision's default `bbox_xform_clip`: `log(1000 / 16)`. */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);

export type BoxCoderWeights = readonly [number, number, number, number];

export class BoxCoder {
  readonly weights: BoxCoderWeights;
  readonly bboxXformClip: number;

  constructor(weights: BoxCoderWeights, bboxXformClip = BBOX_XFORM_CLIP) {
    if (weights.length !== 4 || weights.some((w) => !(w > 0))) {
      throw new Error(`BoxCoder: weights must be 4 positive numbers, got [${weights.join(', ')}]`);
    }
    this.weights = [...weights] as unknown as BoxCoderWeights;
    this.bboxXformClip = bboxXformClip;
  }

  /**
   * Regression targets of `reference` (e.g. matched GT) relative to `proposals` (anchors/proposals).
   * @param reference `[N, 4]` xyxy. @param proposals `[N, 4]` xyxy. @returns `[N, 4]` `(dx, dy, dw, dh)`.
   */
  encode(reference: Float32Array, proposals: Float32Array): Float32Array {
    const n = numBoxes(reference, 'reference');
    if (numBoxes(proposals, 'proposals') !== n) {
      throw new Error(
        `BoxCoder.encode: reference has ${n} boxes, proposals ${proposals.length / 4}; they must match`,
      );
    }
    const [wx, wy, ww, wh] = this.weights.map(f);
    const out = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const o = 4 * i;
      const exW = f(proposals[o + 2] - proposals[o]);
      const exH = f(proposals[o + 3] - proposals[o + 1]);
      const exX = f(proposals[o] + f(0.5 * exW));
      const exY = f(proposals[o + 1] + f(0.5 * exH));
      const gtW = f(reference[o + 2] - reference[o]);
      const gtH = f(reference[o + 3] - reference[o + 1]);
      const gtX = f(reference[o] + f(0.5 * gtW));
      const gtY = f(reference[o + 1] + f(0.5 * gtH));
      out[o] = f(f(wx * f(gtX - exX)) / exW);
      out[o + 1] = f(f(wy * f(gtY - exY)) / exH);
      out[o + 2] = f(ww * f(Math.log(f(gtW / exW))));
      out[o + 3] = f(wh * f(Math.log(f(gtH / exH))));
    }
    return out;
  }

  /**
   * Applies codes to boxes (torchvision `decode`): `codes [N, 4K]` relative to `boxes [N, 4]` → `[N, K, 4]` xyxy
   * (flat, length 4·N·K).
   */
  decode(codes: Float32Array, boxes: Float32Array): Float32Array {
    const n = numBoxes(boxes);
    if (n === 0) return new Float32Array(0);
    if (codes.length % (4 * n) !== 0) {
      throw new Error(`BoxCoder.decode: codes has length ${codes.length}, not a multiple of 4 × ${n} boxes`);
    }
    const k = codes.length / (4 * n);
    const [wx, wy, ww, wh] = this.weights;
    const clip = this.bboxXformClip;
    const out = new Float32Array(codes.length);
    for (let i = 0; i < n; i++) {
      const o = 4 * i;
      const w = f(boxes[o + 2] - boxes[o]);
      const h = f(boxes[o + 3] - boxes[o + 1]);
      const cx = f(boxes[o] + f(0.5 * w));
      const cy = f(boxes[o + 1] + f(0.5 * h));
      for (let c = 0; c < k; c++) {
        const q = 4 * (i * k + c);
        const dx = f(codes[q] / wx);
        const dy = f(codes[q + 1] / wy);
        const dw = Math.min(f(codes[q + 2] / ww), clip);
        const dh = Math.min(f(codes[q + 3] / wh), clip);
        const px = f(f(dx * w) + cx);
        const py = f(f(dy * h) + cy);
        const halfW = f(0.5 * f(f(Math.exp(f(dw))) * w));
        const halfH = f(0.5 * f(f(Math.exp(f(dh))) * h));
        out[q] = px - halfW;
        out[q + 1] = py - halfH;
        out[q + 2] = px + halfW;
        out[q + 3] = py + halfH;
      }
    }
    return out;
  }

  /** Device version of {@link encode}: `reference [N, 4]`, `proposals [N, 4]` → `[N, 4]`. */
  encodeTensor(reference: tf.Tensor2D, proposals: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [wx, wy, ww, wh] = this.weights;
      const [px1, py1, px2, py2] = tf.unstack(proposals, 1);
      const [gx1, gy1, gx2, gy2] = tf.unstack(reference, 1);
      const exW = tf.sub(px2, px1);
      const exH = tf.sub(py2, py1);
      const exX = tf.add(px1, tf.mul(exW, 0.5));
      const exY = tf.add(py1, tf.mul(exH, 0.5));
      const gtW = tf.sub(gx2, gx1);
      const gtH = tf.sub(gy2, gy1);
      const gtX = tf.add(gx1, tf.mul(gtW, 0.5));
      const gtY = tf.add(gy1, tf.mul(gtH, 0.5));
      return tf.stack(
        [
          tf.div(tf.mul(tf.sub(gtX, exX), wx), exW),
          tf.div(tf.mul(tf.sub(gtY, exY), wy), exH),
          tf.mul(tf.log(tf.div(gtW, exW)), ww),
          tf.mul(tf.log(tf.div(gtH, exH)), wh),
        ],
        1,
      ) as tf.Tensor2D;
    });
  }

  /** Device version of {@link decode}: `codes [N, 4K]`, `boxes [N, 4]` → `[N, K, 4]`. */
  decodeTensor(codes: tf.Tensor2D, boxes: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const n = boxes.shape[0];
      const k = codes.shape[1] / 4;
      const [wx, wy, ww, wh] = this.weights;
      const [x1, y1, x2, y2] = tf.unstack(boxes, 1);
      const w = tf.expandDims(tf.sub(x2, x1), 1);
      const h = tf.expandDims(tf.sub(y2, y1), 1);
      const cx = tf.add(tf.expandDims(x1, 1), tf.mul(w, 0.5));
      const cy = tf.add(tf.expandDims(y1, 1), tf.mul(h, 0.5));
      const [dx, dy, dw, dh] = tf.unstack(tf.reshape(codes, [n, k, 4]), 2);
      const px = tf.add(tf.mul(tf.div(dx, wx), w), cx);
      const py = tf.add(tf.mul(tf.div(dy, wy), h), cy);
      const halfW = tf.mul(tf.mul(tf.exp(tf.minimum(tf.div(dw, ww), this.bboxXformClip)), w), 0.5);
      const halfH = tf.mul(tf.mul(tf.exp(tf.minimum(tf.div(dh, wh), this.bboxXformClip)), h), 0.5);
      return tf.stack(
        [tf.sub(px, halfW), tf.sub(py, halfH), tf.add(px, halfW), tf.add(py, halfH)],
        2,
      ) as tf.Tensor3D;
    });
  }
}
