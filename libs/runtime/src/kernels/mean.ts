import {
  backend_util,
  KernelConfig,
  KernelFunc,
  Mean,
  MeanAttrs,
  TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { disposeInfo, heapF32, heapI32, runWasmKernel, WasmBackendLike } from './wasm-ops';

/**
 * `x` seen as `[outer, reduce, inner]` for a reduction over a contiguous block of axes, after moving the
 * reduced axes to the end (a wasm Transpose) when they are not contiguous.
 */
interface Blocked {
  x: TensorInfo;
  outer: number;
  reduce: number;
  inner: number;
  /** A transposed copy this kernel made (to dispose), or undefined. */
  made?: TensorInfo;
}

function toBlocks(backend: WasmBackendLike, x: TensorInfo, axes: number[]): Blocked {
  const shape = x.shape;
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (axes.length === 0 || contiguous) {
    const a0 = axes.length ? axes[0] : shape.length;
    const a1 = axes.length ? axes[axes.length - 1] + 1 : shape.length;
    return {
      x,
      outer: util.sizeFromShape(shape.slice(0, a0)),
      reduce: util.sizeFromShape(shape.slice(a0, a1)),
      inner: util.sizeFromShape(shape.slice(a1)),
    };
  }
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const made = runWasmKernel(backend, 'Transpose', { x }, { perm: [...kept, ...axes] });
  return {
    x: made,
    outer: util.sizeFromShape(kept.map((i) => shape[i])),
    reduce: util.sizeFromShape(axes.map((i) => shape[i])),
    inner: 1,
    made,
  };
}

/**
 * Mean over `axes` on the wasm backend with float64 accumulation, as tfjs-backend-cpu does (its sums are JS
 * numbers). tfjs-backend-wasm 4.22's `Mean` adds the values one by one into a float32 accumulator, whose
 * rounding error grows with the count: for BatchNorm's batch statistics over N·H·W = 8192 values (the shapes
 * demo's stem, 2×64×64×16) the variance comes out ~4e-5 relative off, bit for bit what a sequential float32
 * sum gives. That moves train-mode BatchNorm outputs by ~1e-4 and, where a pre-ReLU value lies that close to
 * 0, flips its ReLU mask: the step's gradients then differ from cpu's (and from a float64 reference) by
 * 1e-2..1 relative through the whole ResNet body upstream of that ReLU. Here each output is summed in a
 * float64 accumulator and rounded once, so wasm's batch statistics agree with cpu's to ~1 ulp.
 *
 * @param x any shape, float32 or int32 (other dtypes are cast to float32 first)
 * @param axes reduced axes, sorted, unique, in `[0, rank)`
 * @param keepDims keep the reduced axes as size-1 dimensions
 * @returns float32, the shape of `x` without `axes` (or with them set to 1 when `keepDims`)
 */
export function meanFloat64(
  backend: WasmBackendLike,
  x: TensorInfo,
  axes: number[],
  keepDims: boolean,
): TensorInfo {
  const made: TensorInfo[] = [];
  try {
    let input = x;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      input = runWasmKernel(backend, 'Cast', { x }, { dtype: 'float32' });
      made.push(input);
    }
    const blocked = toBlocks(backend, input, axes);
    if (blocked.made) made.push(blocked.made);
    const { outer, reduce, inner } = blocked;
    const keptShape = x.shape.filter((_, i) => !axes.includes(i));
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(keptShape, axes) : keptShape;
    const out = backend.makeOutput(outShape, 'float32');
    // Heap views after the last allocation (allocating may grow, and so detach, the heap).
    const src = blocked.x.dtype === 'int32' ? heapI32(backend, blocked.x) : heapF32(backend, blocked.x);
    const { heap: dst, offset: outOff } = heapF32(backend, out);
    const xs = src.heap;
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      let p = src.offset + o * reduce * inner;
      for (let r = 0; r < reduce; r++, p += inner) for (let k = 0; k < inner; k++) acc[k] += xs[p + k];
      const q = outOff + o * inner;
      for (let k = 0; k < inner; k++) dst[q + k] = acc[k] / reduce; // 0/0 = NaN for an empty reduction, as cpu
    }
    return out;
  } finally {
    disposeInfo(backend, ...made);
  }
}

/** `Mean` for wasm with float64 accumulation (replaces tfjs-backend-wasm 4.22's float32 running sum). */
export const meanWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as MeanAttrs;
  const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  return meanFloat64(backend as unknown as WasmBackendLike, x, axes, keepDims);
};

export const meanWasmConfig: KernelConfig = {
  kernelName: Mean,
  backendName: 'wasm',
  kernelFunc: meanWasm,
};
