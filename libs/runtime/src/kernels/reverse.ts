import {
  getKernel,
  KernelConfig,
  KernelFunc,
  Reverse,
  ReverseAttrs,
  TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
// tfjs's own wasm kernel must be registered before it is looked up below.
import '@tensorflow/tfjs-backend-wasm';
import { heapElements, rowMajorStrides, stridedCopy } from './strided-copy';
import { WasmBackendLike } from './wasm-ops';

const tfjsReverseConfig = getKernel(Reverse, 'wasm')!;
const tfjsReverse = tfjsReverseConfig.kernelFunc;

/**
 * `Reverse` on the wasm heap as a copy with negative strides: runs of the axes after the last reversed one move
 * with memmoves. tfjs-backend-wasm 4.22's computes every element's index (~70 ns an element: 170 ms for a
 * 3×3×512×512 filter, flipped for every stride-1 input gradient). Same bits.
 */
export const reverseWasm: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return tfjsReverse(args);
  const axes = util.parseAxisParam((attrs as unknown as ReverseAttrs).dims, x.shape);
  const be = backend as unknown as WasmBackendLike;
  const out = be.makeOutput(x.shape, x.dtype);
  const strides = rowMajorStrides(x.shape);
  const { heap, offset: xOff } = heapElements(be, x, Reverse);
  const { offset: outOff } = heapElements(be, out, Reverse);
  let src = xOff;
  const st = [...strides];
  for (const a of new Set(axes)) {
    src += (x.shape[a] - 1) * strides[a];
    st[a] = -strides[a];
  }
  stridedCopy(heap, src, outOff, x.shape, st);
  return out;
};

export const reverseWasmConfig: KernelConfig = {
  kernelName: Reverse,
  backendName: 'wasm',
  kernelFunc: reverseWasm,
  // tfjs's setup binds the wasm function that its other kernels call directly (Sum transposes through it).
  setupFunc: tfjsReverseConfig.setupFunc,
};
