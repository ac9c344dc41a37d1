import { backend_util } from '@tensorflow/tfjs-core';

/**
 * Writes the im2col matrix of an NHWC input for output rows `[r0, r1)` of a 2-D convolution.
 *
 * A row index r is `b·outHeight + oh` (image b, output row oh). The result holds, for each output pixel of
 * those rows, the receptive field flattened in filter order `(kh, kw, ci)`, so that it lines up with an HWIO
 * filter flattened to `[fh·fw·ci, co]`: `cols` is `[(r1 − r0)·outWidth, fh·fw·ci]`, row-major, zeros where
 * the field falls in the padding. Both arrays are views into one heap (`heap`), addressed by element
 * offsets, so runs of channels are moved with `copyWithin` (a memmove) instead of per-element JS.
 *
 * @param heap  the buffer holding x (`[batch, inHeight, inWidth, inChannels]` float32) and cols
 * @param xOff  element offset of x in `heap`
 * @param colsOff element offset of cols in `heap`
 * @param conv  geometry from `backend_util.computeConv2DInfo` (strides, dilations, padding)
 */
export function im2colRows(
  heap: Float32Array,
  xOff: number,
  colsOff: number,
  conv: backend_util.Conv2DInfo,
  r0: number,
  r1: number,
): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth } = conv;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = conv;
  const { dilationHeight: dh, dilationWidth: dw } = conv;
  const padTop = conv.padInfo.top;
  const padLeft = conv.padInfo.left;
  const k = fh * fw * ci;
  // Consecutive kw taps are adjacent in x when the dilation is 1: copy a whole in-range run at once.
  const contiguousTaps = dw === 1;
  let dst = colsOff;
  for (let r = r0; r < r1; r++) {
    const b = Math.floor(r / outHeight);
    const oh = r - b * outHeight;
    const imageOff = xOff + b * inHeight * inWidth * ci;
    for (let ow = 0; ow < outWidth; ow++, dst += k) {
      const iw0 = ow * sw - padLeft;
      for (let kh = 0; kh < fh; kh++) {
        const ih = oh * sh - padTop + kh * dh;
        const rowDst = dst + kh * fw * ci;
        if (ih < 0 || ih >= inHeight) {
          heap.fill(0, rowDst, rowDst + fw * ci);
          continue;
        }
        const rowSrc = imageOff + ih * inWidth * ci;
        if (contiguousTaps) {
          // Taps kw in [lo, hi) are inside the image; the rest are padding.
          const lo = Math.min(fw, Math.max(0, -iw0));
          const hi = Math.max(lo, Math.min(fw, inWidth - iw0));
          if (lo > 0) heap.fill(0, rowDst, rowDst + lo * ci);
          if (hi > lo) heap.copyWithin(rowDst + lo * ci, rowSrc + (iw0 + lo) * ci, rowSrc + (iw0 + hi) * ci);
          if (hi < fw) heap.fill(0, rowDst + hi * ci, rowDst + fw * ci);
          continue;
        }
        for (let kw = 0; kw < fw; kw++) {
          const iw = iw0 + kw * dw;
          const d = rowDst + kw * ci;
          if (iw < 0 || iw >= inWidth) heap.fill(0, d, d + ci);
          else heap.copyWithin(d, rowSrc + iw * ci, rowSrc + (iw + 1) * ci);
        }
      }
    }
  }
}
