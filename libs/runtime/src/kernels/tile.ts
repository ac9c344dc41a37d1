import { getKernel, KernelConfig, KernelFunc, TensorInfo, Tile, TileAttrs } from '@tensorflow/tfjs-core';
// tfjs's own wasm kernel must be registered before it is looked up below.
import '@tensorflow/tfjs-backend-wasm';
import { heapElements, HeapElements, rowMajorStrides } from './strided-copy';
import { WasmBackendLike } from './wasm-ops';

const tfjsTileConfig = getKernel(Tile, 'wasm')!;
const tfjsTile = tfjsTileConfig.kernelFunc;

/**
 * `Tile` on the wasm heap by doubling copies: each axis's block is written once and then replicated with
 * memmoves. tfjs-backend-wasm 4.22's computes every output element's source index (~200 ns an element: the
 * FPN's nearest 2× upsampling, a broadcast, cost ~0.5 s a step). Same bits.
 */
export const tileWasm: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return tfjsTile(args);
  const { reps } = attrs as unknown as TileAttrs;
  const be = backend as unknown as WasmBackendLike;
  const outShape = x.shape.map((n, d) => n * reps[d]);
  const out = be.makeOutput(outShape, x.dtype);
  if (outShape.some((n) => n === 0)) return out;
  const { heap, offset: xOff } = heapElements(be, x, Tile);
  const { offset: outOff } = heapElements(be, out, Tile);
  tileAxis(heap, 0, xOff, outOff, x.shape, reps, rowMajorStrides(x.shape), rowMajorStrides(outShape));
  return out;
};

/** Writes the block of axis `d` (its `shape[d]` sub-blocks, then `reps[d] − 1` copies of them) at `dst`. */
function tileAxis(
  heap: HeapElements,
  d: number,
  src: number,
  dst: number,
  shape: readonly number[],
  reps: readonly number[],
  xStrides: readonly number[],
  outStrides: readonly number[],
): void {
  const n = shape[d];
  if (d === shape.length - 1) {
    heap.copyWithin(dst, src, src + n);
  } else {
    for (let i = 0; i < n; i++)
      tileAxis(
        heap,
        d + 1,
        src + i * xStrides[d],
        dst + i * outStrides[d],
        shape,
        reps,
        xStrides,
        outStrides,
      );
  }
  const block = d === shape.length - 1 ? n : n * outStrides[d];
  for (let r = 1; r < reps[d]; r++) heap.copyWithin(dst + r * block, dst, dst + block);
}

export const tileWasmConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileWasm,
  // tfjs's setup binds the wasm function that its other kernels call directly (Sum transposes through it).
  setupFunc: tfjsTileConfig.setupFunc,
};
