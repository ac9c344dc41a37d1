import {
  getKernel,
  KernelConfig,
  KernelFunc,
  Slice,
  SliceAttrs,
  slice_util,
  TensorInfo,
} from '@tensorflow/tfjs-core';
// tfjs's own wasm kernel must be registered before it is looked up below.
import '@tensorflow/tfjs-backend-wasm';
import { heapElements, rowMajorStrides, stridedCopy } from './strided-copy';
import { WasmBackendLike } from './wasm-ops';

const tfjsSliceConfig = getKernel(Slice, 'wasm')!;
const tfjsSlice = tfjsSliceConfig.kernelFunc;

/**
 * `Slice` on the wasm heap. tfjs-backend-wasm 4.22's first copies the *whole* input off the heap
 * (`readSync`) and then the slice: a 10 MiB block of a 40 MiB gradient cost ~40 ms, of which the block is ~1.
 * Here the slice is moved in place (one memmove when contiguous, row memmoves otherwise). Same bits.
 * Strings (not on the heap) go to tfjs's kernel.
 */
export const sliceWasm: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64') return tfjsSlice(args);
  const { begin, size } = attrs as unknown as SliceAttrs;
  const [b, s] = slice_util.parseSliceParams(x, begin, size);
  const be = backend as unknown as WasmBackendLike;
  const out = be.makeOutput(s, x.dtype);
  const strides = rowMajorStrides(x.shape);
  const { heap, offset: xOff } = heapElements(be, x, Slice);
  const { offset: outOff } = heapElements(be, out, Slice);
  let src = xOff;
  for (let d = 0; d < b.length; d++) src += b[d] * strides[d];
  stridedCopy(heap, src, outOff, s, strides);
  return out;
};

export const sliceWasmConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  kernelFunc: sliceWasm,
  // tfjs's setup binds the wasm function that its other kernels call directly (Sum transposes through it).
  setupFunc: tfjsSliceConfig.setupFunc,
};
