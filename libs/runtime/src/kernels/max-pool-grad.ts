import {
  backend_util,
  KernelConfig,
  KernelFunc,
  MaxPoolGrad,
  MaxPoolGradAttrs,
  TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { heapF32, KernelError, WasmBackendLike } from './wasm-ops';

/**
 * Gradient of a 2-D max-pool: each output's dy goes to the first maximum of its window (row-major window
 * order; padding never wins), summed where windows overlap.
 *
 * Replaces tfjs-backend-wasm 4.22's MaxPoolGrad, which drops the gradient of some windows when there is
 * more than one channel (found by resdet's wasm-vs-cpu training-step test: e.g. a 2×2/2 pool of a
 * [2, 5, 5, 3] input loses 4 of 24 output gradients). A scan per window: no matmul applies.
 *
 * @param x  the pool's input, NHWC float32
 * @param dy gradient of the pool's output, NHWC float32
 * @returns dx, x's shape
 */
export function maxPoolGradHeap(
  backend: WasmBackendLike,
  dy: TensorInfo,
  x: TensorInfo,
  pool: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = pool;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = pool;
  const { dilationHeight: dh, dilationWidth: dw, padInfo } = pool;
  const out = backend.makeOutput(x.shape, 'float32');
  const { heap, offset: oOff } = heapF32(backend, out);
  const xOff = heapF32(backend, x).offset;
  const yOff = heapF32(backend, dy).offset;
  heap.fill(0, oOff, oOff + util.sizeFromShape(x.shape));
  for (let b = 0; b < batchSize; b++) {
    const xb = xOff + b * inHeight * inWidth * c;
    const ob = oOff + b * inHeight * inWidth * c;
    for (let oh = 0; oh < outHeight; oh++) {
      const ih0 = oh * sh - padInfo.top;
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * sw - padInfo.left;
        const yPix = yOff + ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < fh; kh++) {
            const ih = ih0 + kh * dh;
            if (ih < 0 || ih >= inHeight) continue;
            for (let kw = 0; kw < fw; kw++) {
              const iw = iw0 + kw * dw;
              if (iw < 0 || iw >= inWidth) continue;
              const i = (ih * inWidth + iw) * c + ch;
              const v = heap[xb + i];
              if (v > best || at < 0) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) heap[ob + at] += heap[yPix + ch];
        }
      }
    }
  }
  return out;
}

/** `MaxPoolGrad` for wasm (replaces tfjs-backend-wasm 4.22's, see {@link maxPoolGradHeap}). */
export const maxPoolGradWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') {
    throw new KernelError(`MaxPoolGrad (wasm): float32 only, got dy ${dy.dtype}, input ${input.dtype}`);
  }
  const pool = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return maxPoolGradHeap(backend as unknown as WasmBackendLike, dy, input, pool);
};

export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm,
};
