import { backend_util } from '@tensorflow/tfjs-core';

/**
 * Plain-loop reference versions of resdet's kernels, kept beside the fast ones (house rule 8) so tests can
 * check cases tfjs's cpu backend does not cover (e.g. dilated weight gradients). Arrays are flat, NHWC/HWIO.
 */

/** `dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, ih, iw, ci] · dy[b, oh, ow, co]` → HWIO, float64 accumulation. */
export function conv2dFilterGradientReference(
  x: Float32Array,
  dy: Float32Array,
  conv: backend_util.Conv2DInfo,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co } = conv;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = conv;
  const { dilationHeight: dh, dilationWidth: dw, padInfo } = conv;
  const acc = new Float64Array(fh * fw * ci * co);
  for (let b = 0; b < batchSize; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let kh = 0; kh < fh; kh++) {
          const ih = oh * sh - padInfo.top + kh * dh;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = ow * sw - padInfo.left + kw * dw;
            if (iw < 0 || iw >= inWidth) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((b * inHeight + ih) * inWidth + iw) * ci + c];
              for (let o = 0; o < co; o++) {
                acc[((kh * fw + kw) * ci + c) * co + o] +=
                  xv * dy[((b * outHeight + oh) * outWidth + ow) * co + o];
              }
            }
          }
        }
  return Float32Array.from(acc);
}

/** `out[ids[i], …] += x[i, …]`, ids outside `[0, numSegments)` dropped; `inner` = elements per segment row. */
export function unsortedSegmentSumReference(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  numSegments: number,
  inner: number,
): Float64Array {
  const out = new Float64Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    for (let j = 0; j < inner; j++) out[s * inner + j] += x[i * inner + j];
  }
  return out;
}

/** Calls `visit(xIndex, yIndex, wIndex)` for every multiply of a depthwise conv (channel multiplier m). */
function depthwiseTerms(
  conv: backend_util.Conv2DInfo,
  visit: (xi: number, yi: number, wi: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels } = conv;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = conv;
  const { dilationHeight: dh, dilationWidth: dw, padInfo } = conv;
  const m = outChannels / ci;
  for (let b = 0; b < batchSize; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let kh = 0; kh < fh; kh++)
          for (let kw = 0; kw < fw; kw++) {
            const ih = oh * sh - padInfo.top + kh * dh;
            const iw = ow * sw - padInfo.left + kw * dw;
            if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue;
            for (let c = 0; c < ci; c++)
              for (let q = 0; q < m; q++)
                visit(
                  ((b * inHeight + ih) * inWidth + iw) * ci + c,
                  ((b * outHeight + oh) * outWidth + ow) * outChannels + c * m + q,
                  ((kh * fw + kw) * ci + c) * m + q,
                );
          }
}

/** Depthwise filter gradient `[fh, fw, ci, m]` (dilation honoured, unlike tfjs-backend-cpu 4.22's). */
export function depthwiseFilterGradientReference(
  x: Float32Array,
  dy: Float32Array,
  conv: backend_util.Conv2DInfo,
): Float64Array {
  const out = new Float64Array(conv.filterHeight * conv.filterWidth * conv.outChannels);
  depthwiseTerms(conv, (xi, yi, wi) => (out[wi] += x[xi] * dy[yi]));
  return out;
}

/** Depthwise input gradient, NHWC like x (dilation honoured, unlike tfjs-backend-cpu 4.22's). */
export function depthwiseInputGradientReference(
  dy: Float32Array,
  w: Float32Array,
  conv: backend_util.Conv2DInfo,
): Float64Array {
  const out = new Float64Array(conv.batchSize * conv.inHeight * conv.inWidth * conv.inChannels);
  depthwiseTerms(conv, (xi, yi, wi) => (out[xi] += dy[yi] * w[wi]));
  return out;
}
