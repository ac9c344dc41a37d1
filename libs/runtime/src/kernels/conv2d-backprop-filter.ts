import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { im2colRows } from './im2col';
import { disposeInfo, heapF32, KernelError, reshapeInfo, runWasmKernel, WasmBackendLike } from './wasm-ops';

/** Largest im2col block (float32 elements, 16 MiB) built at once; bigger inputs are processed in row blocks. */
export const IM2COL_BLOCK_ELEMENTS = 1 << 22;

/** `aᵀ·b` for a `[n, p]`, b `[n, q]` → `[p, q]` with plain matmuls (wasm's transposeA path is ~10× slower). */
function matmulTransposedA(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo): TensorInfo {
  const aT = runWasmKernel(backend, 'Transpose', { x: a }, { perm: [1, 0] });
  try {
    return runWasmKernel(backend, 'BatchMatMul', { a: aT, b }, { transposeA: false, transposeB: false });
  } finally {
    disposeInfo(backend, aT);
  }
}

/**
 * Weight gradient of a 2-D convolution on the wasm backend: `dW = im2col(x)ᵀ · dy`, one matmul per block of
 * output rows through wasm's own BatchMatMul (XNNPACK), the im2col built on the wasm heap with memmoves.
 *
 * @param x  input, NHWC `[batch, inHeight, inWidth, inChannels]` float32
 * @param dy output gradient, NHWC `[batch, outHeight, outWidth, outChannels]` float32
 * @param conv geometry (strides, dilations, padding) from `backend_util.computeConv2DInfo`
 * @param blockElements im2col block size in elements (tests make it small to exercise the accumulation)
 * @returns the filter gradient, HWIO `[filterHeight, filterWidth, inChannels, outChannels]` float32
 */
export function conv2dFilterGradient(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  conv: backend_util.Conv2DInfo,
  blockElements = IM2COL_BLOCK_ELEMENTS,
): TensorInfo {
  const { batchSize, outHeight, outWidth, inChannels: ci, outChannels: co } = conv;
  const { filterHeight: fh, filterWidth: fw } = conv;
  const k = fh * fw * ci;
  const rows = batchSize * outHeight;
  const dy2 = reshapeInfo(backend, dy, [rows * outWidth, co]);
  const pad = conv.padInfo;
  const pointwise =
    fh === 1 &&
    fw === 1 &&
    conv.strideHeight === 1 &&
    conv.strideWidth === 1 &&
    pad.top === 0 &&
    pad.left === 0 &&
    outHeight === conv.inHeight &&
    outWidth === conv.inWidth;
  let acc: TensorInfo | undefined;
  try {
    if (pointwise) {
      // 1×1, stride 1, no padding: im2col(x) is x itself.
      const cols = reshapeInfo(backend, x, [rows * outWidth, ci]);
      try {
        acc = matmulTransposedA(backend, dy2, cols);
      } finally {
        disposeInfo(backend, cols);
      }
    } else {
      const rowsPerBlock = Math.max(1, Math.floor(blockElements / (outWidth * k)));
      for (let r0 = 0; r0 < rows; r0 += rowsPerBlock) {
        const r1 = Math.min(rows, r0 + rowsPerBlock);
        const n = (r1 - r0) * outWidth;
        const cols = backend.makeOutput([n, k], 'float32');
        const dyBlock =
          r0 === 0 && r1 === rows
            ? reshapeInfo(backend, dy2, dy2.shape)
            : runWasmKernel(backend, 'Slice', { x: dy2 }, { begin: [r0 * outWidth, 0], size: [n, co] });
        try {
          const { heap, offset: colsOff } = heapF32(backend, cols);
          im2colRows(heap, heapF32(backend, x).offset, colsOff, conv, r0, r1);
          const part = matmulTransposedA(backend, dyBlock, cols);
          if (acc) {
            const sum = runWasmKernel(backend, 'Add', { a: acc, b: part });
            disposeInfo(backend, acc, part);
            acc = sum;
          } else {
            acc = part;
          }
        } finally {
          disposeInfo(backend, cols, dyBlock);
        }
      }
    }
    // acc is dWᵀ `[co, fh·fw·ci]`.
    const dw = runWasmKernel(backend, 'Transpose', { x: acc! }, { perm: [1, 0] });
    return { dataId: dw.dataId, shape: [fh, fw, ci, co], dtype: 'float32' };
  } finally {
    disposeInfo(backend, dy2);
    if (acc) disposeInfo(backend, acc);
  }
}

/** `Conv2DBackpropFilter` for wasm (tfjs-backend-wasm 4.22 has none). NHWC only; dilation 1 (tfjs's attrs). */
export const conv2dBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') {
    throw new KernelError(`Conv2DBackpropFilter (wasm): dataFormat must be NHWC, got ${dataFormat}`);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new KernelError(`Conv2DBackpropFilter (wasm): float32 only, got x ${x.dtype}, dy ${dy.dtype}`);
  }
  const conv = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return conv2dFilterGradient(backend as unknown as WasmBackendLike, x, dy, conv);
};

export const conv2dBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm,
};
