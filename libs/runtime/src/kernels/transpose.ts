import {
  getKernel,
  KernelConfig,
  KernelFunc,
  TensorInfo,
  Transpose,
  TransposeAttrs,
} from '@tensorflow/tfjs-core';
// tfjs's own wasm kernel must be registered before it is looked up below.
import '@tensorflow/tfjs-backend-wasm';
import { heapElements, rowMajorStrides, stridedCopy } from './strided-copy';
import { WasmBackendLike } from './wasm-ops';

const tfjsTransposeConfig = getKernel(Transpose, 'wasm')!;
const tfjsTranspose = tfjsTransposeConfig.kernelFunc;

/**
 * `Transpose` on the wasm heap: a permuted-stride copy, in cache-sized blocks when the innermost axis moves
 * (every matmul-with-transpose and weight gradient of a training step transposes a large 2-D matrix).
 * tfjs-backend-wasm 4.22's walks the output with a stride-N read and no blocking: ~50 ns an element on
 * 1024×12544 (0.7 s). Same bits.
 */
export const transposeWasm: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64') return tfjsTranspose(args);
  const { perm } = attrs as unknown as TransposeAttrs;
  const be = backend as unknown as WasmBackendLike;
  const outShape = perm.map((p) => x.shape[p]);
  const out = be.makeOutput(outShape, x.dtype);
  const strides = rowMajorStrides(x.shape);
  const { heap, offset: xOff } = heapElements(be, x, Transpose);
  const { offset: outOff } = heapElements(be, out, Transpose);
  stridedCopy(
    heap,
    xOff,
    outOff,
    outShape,
    perm.map((p) => strides[p]),
  );
  return out;
};

export const transposeWasmConfig: KernelConfig = {
  kernelName: Transpose,
  backendName: 'wasm',
  kernelFunc: transposeWasm,
  // tfjs's setup binds the wasm function that its other kernels call directly (Sum transposes through it).
  setupFunc: tfjsTransposeConfig.setupFunc,
};
