import * as tf from '@tensorflow/tfjs-core';
import { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

/**
 * Gradients of ResizeNearestNeighbor and ResizeBilinear as the exact adjoint of tfjs's forward sampling
 * (the same source-index and weight formulas, including alignCorners and halfPixelCenters), expressed as
 * UnsortedSegmentSum scatter-adds so they run on every backend.
 *
 * Why: tfjs 4.22's own are wrong in ways detection hits — the gradient ops ignore halfPixelCenters (torch's
 * `align_corners=False` bilinear), tfjs-backend-cpu's ResizeBilinearGrad returns [b, w, h, c] (H and W swapped)
 * for non-square inputs, and tfjs-backend-wasm's ResizeNearestNeighborGrad differs from cpu's (FPN upsampling).
 */

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
  size: [number, number];
}

/** Source coordinate of output index `o` along one axis, as tfjs's forward kernels compute it. */
function axisRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  return effIn / effOut;
}

/** For each output position along one axis: the nearest source index (tfjs's ResizeNearestNeighbor). */
export function nearestSources(inSize: number, outSize: number, a: ResizeAttrs): Int32Array {
  const ratio = axisRatio(inSize, outSize, a.alignCorners);
  return Int32Array.from({ length: outSize }, (_, o) => {
    const frac = a.halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    const s = Math.min(inSize - 1, a.alignCorners ? Math.round(frac) : Math.floor(frac));
    return a.halfPixelCenters ? Math.max(0, s) : s;
  });
}

/** For each output position along one axis: the two bilinear sources and the weight of the second. */
export function bilinearSources(
  inSize: number,
  outSize: number,
  a: ResizeAttrs,
): { lo: Int32Array; hi: Int32Array; w: Float32Array } {
  const ratio = axisRatio(inSize, outSize, a.alignCorners);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const w = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const frac = a.halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    lo[o] = Math.max(0, Math.floor(frac));
    hi[o] = Math.min(inSize - 1, Math.ceil(frac));
    w[o] = frac - lo[o];
  }
  return { lo, hi, w };
}

/**
 * dx = Σ_taps scatter-add of dy·weight to the tap's source pixel. `taps` hold, per output pixel (row-major
 * over outH×outW), a flat source pixel index and a weight.
 */
function scatterPixels(
  dy: Tensor,
  images: Tensor,
  taps: Array<{ idx: Int32Array; w?: Float32Array }>,
): Tensor {
  return tf.tidy(() => {
    const [b, h, w, c] = images.shape;
    const [, oh, ow] = dy.shape;
    const dyT = tf.transpose(tf.reshape(dy, [b, oh * ow, c]), [1, 0, 2]); // [oh·ow, b, c]
    let acc: Tensor | undefined;
    for (const t of taps) {
      const vals = t.w ? tf.mul(dyT, tf.tensor3d(t.w, [oh * ow, 1, 1])) : dyT;
      const part = tf.unsortedSegmentSum(vals, tf.tensor1d(t.idx, 'int32'), h * w); // [h·w, b, c]
      acc = acc ? tf.add(acc, part) : part;
    }
    return tf.reshape(tf.transpose(acc!, [1, 0, 2]), [b, h, w, c]);
  });
}

export const resizeNearestGrad: GradConfig = {
  kernelName: 'ResizeNearestNeighbor',
  inputsToSave: ['images'],
  gradFunc: (dy, [images], attrs: NamedAttrMap) => ({
    images: () => {
      const a = attrs as unknown as ResizeAttrs;
      const [, h, w] = images.shape;
      const [, oh, ow] = (dy as Tensor).shape;
      const rows = nearestSources(h, oh, a);
      const cols = nearestSources(w, ow, a);
      const idx = new Int32Array(oh * ow);
      for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) idx[r * ow + c] = rows[r] * w + cols[c];
      return scatterPixels(dy as Tensor, images, [{ idx }]);
    },
  }),
};

export const resizeBilinearGrad: GradConfig = {
  kernelName: 'ResizeBilinear',
  inputsToSave: ['images'],
  gradFunc: (dy, [images], attrs: NamedAttrMap) => ({
    images: () => {
      const a = attrs as unknown as ResizeAttrs;
      const [, h, w] = images.shape;
      const [, oh, ow] = (dy as Tensor).shape;
      const R = bilinearSources(h, oh, a);
      const C = bilinearSources(w, ow, a);
      const taps = [0, 1, 2, 3].map(() => ({ idx: new Int32Array(oh * ow), w: new Float32Array(oh * ow) }));
      for (let r = 0; r < oh; r++) {
        for (let c = 0; c < ow; c++) {
          const i = r * ow + c;
          const wr = R.w[r];
          const wc = C.w[c];
          const corner = [
            [R.lo[r], C.lo[c], (1 - wr) * (1 - wc)],
            [R.lo[r], C.hi[c], (1 - wr) * wc],
            [R.hi[r], C.lo[c], wr * (1 - wc)],
            [R.hi[r], C.hi[c], wr * wc],
          ];
          corner.forEach(([y, x, wt], t) => {
            taps[t].idx[i] = y * w + x;
            taps[t].w[i] = wt;
          });
        }
      }
      return scatterPixels(dy as Tensor, images, taps);
    },
  }),
};
