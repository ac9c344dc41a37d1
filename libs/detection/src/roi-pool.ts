/**
 * RoIPool exactly like torchvision 0.14's CPU kernel (`torchvision.ops.roi_pool`), the original Fast R-CNN
 * pooling, on NHWC features.
 *
 * The RoI is scaled and rounded (`std::round`, half away from zero) to feature cells, its size is
 * `max(end - start + 1, 1)`, bin `p` spans `[floor(p·bin), ceil((p+1)·bin))` offset by the start and clamped to the
 * map; each output is the max over its bin (0 for an empty bin). The argmax is data-dependent, so
 * {@link roiPool} reads the features to the host once (`dataSync`) to find it, then gathers on the device; the
 * gradient routes `dy` to the argmax (a scatter-add), like torch's backward.
 *
 * @example
 * const pooled = roiPool(c4Features, rois, { outputSize: 14, spatialScale: 1 / 16 }); // [R, 14, 14, C]
 */
import * as tf from '@tensorflow/tfjs-core';
import { pairSize } from './roi-align';

const f = Math.fround;

export interface RoiPoolOptions {
  outputSize: number | readonly [number, number];
  spatialScale: number;
}

/** C++ `std::round`: half away from zero. */
function roundAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * Flat NHWC index of each output's max (`[R, ph, pw, C]`), or -1 for an empty bin. Ties keep the first
 * (row-major) position, as the kernel's strict `>` does.
 */
export function roiPoolArgmax(
  data: Float32Array,
  shape: readonly [number, number, number, number],
  rois: Float32Array,
  o: RoiPoolOptions,
): Int32Array {
  const [n, h, w, c] = shape;
  const [ph, pw] = pairSize(o.outputSize);
  if (rois.length % 5 !== 0) throw new Error(`roiPool: rois has length ${rois.length}, expected [R, 5]`);
  const numRois = rois.length / 5;
  const scale = f(o.spatialScale);
  const out = new Int32Array(numRois * ph * pw * c).fill(-1);
  for (let r = 0; r < numRois; r++) {
    const b = rois[5 * r];
    if (!(Number.isInteger(b) && b >= 0 && b < n))
      throw new Error(`roiPool: rois[${r}] has batch index ${b}, N = ${n}`);
    const sw = roundAway(f(rois[5 * r + 1] * scale));
    const sh = roundAway(f(rois[5 * r + 2] * scale));
    const ew = roundAway(f(rois[5 * r + 3] * scale));
    const eh = roundAway(f(rois[5 * r + 4] * scale));
    const binH = f(Math.max(eh - sh + 1, 1) / ph);
    const binW = f(Math.max(ew - sw + 1, 1) / pw);
    for (let py = 0; py < ph; py++) {
      const hs = Math.min(Math.max(Math.floor(f(py * binH)) + sh, 0), h);
      const he = Math.min(Math.max(Math.ceil(f((py + 1) * binH)) + sh, 0), h);
      for (let px = 0; px < pw; px++) {
        const ws = Math.min(Math.max(Math.floor(f(px * binW)) + sw, 0), w);
        const we = Math.min(Math.max(Math.ceil(f((px + 1) * binW)) + sw, 0), w);
        if (he <= hs || we <= ws) continue;
        const base = ((r * ph + py) * pw + px) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let arg = -1;
          for (let y = hs; y < he; y++) {
            for (let x = ws; x < we; x++) {
              const i = ((b * h + y) * w + x) * c + ch;
              if (data[i] > best) {
                best = data[i];
                arg = i;
              }
            }
          }
          out[base + ch] = arg;
        }
      }
    }
  }
  return out;
}

/** Plain host RoIPool (reference): `[R, ph, pw, C]` flat. */
export function roiPoolReference(
  data: Float32Array,
  shape: readonly [number, number, number, number],
  rois: Float32Array,
  o: RoiPoolOptions,
): Float32Array {
  const arg = roiPoolArgmax(data, shape, rois, o);
  return Float32Array.from(arg, (i) => (i < 0 ? 0 : data[i]));
}

/**
 * RoIPool on an NHWC tensor, differentiable w.r.t. `features` (reads them to the host once to find the argmax).
 * @param rois `[R, 5]` flat `(batchIndex, x1, y1, x2, y2)` in image pixels. @returns `[R, ph, pw, C]`.
 */
export function roiPool(features: tf.Tensor4D, rois: Float32Array, o: RoiPoolOptions): tf.Tensor4D {
  const shape = features.shape;
  const [ph, pw] = pairSize(o.outputSize);
  const arg = roiPoolArgmax(features.dataSync() as Float32Array, shape, rois, o);
  const size = features.size;
  const idx = Int32Array.from(arg, (i) => (i < 0 ? size : i)); // empty bins read an appended zero
  const outShape: [number, number, number, number] = [rois.length / 5, ph, pw, shape[3]];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const value = tf.tidy(() =>
      tf.reshape(
        tf.gather(tf.concat([tf.reshape(x, [-1]), tf.zeros([1])]), tf.tensor1d(idx, 'int32')),
        outShape,
      ),
    );
    const gradFunc = (dy: tf.Tensor): tf.Tensor =>
      tf.tidy(() => {
        const full = tf.scatterND(tf.tensor2d(idx, [idx.length, 1], 'int32'), tf.reshape(dy, [-1]), [
          size + 1,
        ]);
        return tf.reshape(tf.slice(full, [0], [size]), shape);
      });
    return { value, gradFunc };
  });
  return op(features) as tf.Tensor4D;
}
