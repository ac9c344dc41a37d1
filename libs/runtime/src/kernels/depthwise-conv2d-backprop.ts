import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInput,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapF32, KernelError, WasmBackendLike } from './wasm-ops';

/**
 * Visits every (output pixel, filter tap) pair of a depthwise convolution whose input pixel lies inside the
 * image, passing element offsets (relative to the tensors' starts) of the input pixel, the output pixel and
 * the tap, each at channel 0. Depthwise convolutions do `channelMultiplier` MACs per channel and pixel, so no
 * matmul applies; the channel loops live in the callers.
 */
function forEachTap(
  conv: backend_util.Conv2DInfo,
  visit: (xPix: number, yPix: number, tap: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = conv;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = conv;
  const { dilationHeight: dh, dilationWidth: dw, padInfo } = conv;
  const m = outChannels / inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const yPix = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < fh; kh++) {
          const ih = oh * sh - padInfo.top + kh * dh;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = ow * sw - padInfo.left + kw * dw;
            if (iw < 0 || iw >= inWidth) continue;
            visit(((b * inHeight + ih) * inWidth + iw) * inChannels, yPix, (kh * fw + kw) * inChannels * m);
          }
        }
      }
    }
  }
}

function depthwiseInfo(
  xShape: number[],
  filterShape: number[],
  attrs: {
    strides: number | [number, number];
    dilations: number | [number, number];
    pad: unknown;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * Filter gradient of a depthwise convolution on wasm: `dW[kh, kw, c, q] = Σ x[b, ih, iw, c]·dy[b, oh, ow, c·m + q]`.
 * x NHWC float32, dy NHWC `[b, oh, ow, c·m]`; returns `[fh, fw, c, m]` float32.
 */
export const depthwiseBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new KernelError(
      `DepthwiseConv2dNativeBackpropFilter (wasm): float32 only, got ${x.dtype}, ${dy.dtype}`,
    );
  }
  const conv = depthwiseInfo(x.shape, a.filterShape, a);
  const be = backend as unknown as WasmBackendLike;
  const ci = conv.inChannels;
  const m = conv.outChannels / ci;
  const out = be.makeOutput(a.filterShape, 'float32');
  const { heap, offset: oOff } = heapF32(be, out);
  const xOff = heapF32(be, x).offset;
  const yOff = heapF32(be, dy).offset;
  heap.fill(0, oOff, oOff + util.sizeFromShape(a.filterShape));
  forEachTap(conv, (xPix, yPix, tap) => {
    for (let c = 0; c < ci; c++) {
      const xv = heap[xOff + xPix + c];
      const t = oOff + tap + c * m;
      const y = yOff + yPix + c * m;
      for (let q = 0; q < m; q++) heap[t + q] += xv * heap[y + q];
    }
  });
  return out;
};

/**
 * Input gradient of a depthwise convolution on wasm: `dx[b, ih, iw, c] = Σ dy[b, oh, ow, c·m + q]·W[kh, kw, c, q]`.
 * dy NHWC `[b, oh, ow, c·m]`, filter `[fh, fw, c, m]`; returns `inputShape` (NHWC) float32.
 */
export const depthwiseBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new KernelError(
      `DepthwiseConv2dNativeBackpropInput (wasm): float32 only, got ${dy.dtype}, ${filter.dtype}`,
    );
  }
  const conv = depthwiseInfo(a.inputShape, filter.shape, a);
  const be = backend as unknown as WasmBackendLike;
  const ci = conv.inChannels;
  const m = conv.outChannels / ci;
  const out = be.makeOutput(a.inputShape, 'float32');
  const { heap, offset: oOff } = heapF32(be, out);
  const yOff = heapF32(be, dy).offset;
  const wOff = heapF32(be, filter).offset;
  heap.fill(0, oOff, oOff + util.sizeFromShape(a.inputShape));
  forEachTap(conv, (xPix, yPix, tap) => {
    for (let c = 0; c < ci; c++) {
      const w = wOff + tap + c * m;
      const y = yOff + yPix + c * m;
      let s = 0;
      for (let q = 0; q < m; q++) s += heap[y + q] * heap[w + q];
      heap[oOff + xPix + c] += s;
    }
  });
  return out;
};

export const depthwiseBackpropFilterWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilterWasm,
};

export const depthwiseBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInputWasm,
};
