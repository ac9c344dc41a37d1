import { TensorInfo, util } from '@tensorflow/tfjs-core';
import { KernelError, WasmBackendLike } from './wasm-ops';

/** Integer views move bits unchanged (a Float32Array round trip through JS numbers may rewrite NaN payloads). */
export type HeapElements = Int32Array | Uint8Array;

/**
 * A view over the whole wasm heap in `t`'s element size (4 bytes: float32, int32; 1 byte: bool) and the element
 * offset of `t` in it. Take it after the kernel's last allocation (allocating may grow the heap).
 */
export function heapElements(
  backend: WasmBackendLike,
  t: TensorInfo,
  kernel: string,
): { heap: HeapElements; offset: number } {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data)
    throw new KernelError(`${kernel} (wasm): tensor ${JSON.stringify(t.shape)} is not on the wasm heap`);
  const bytes = util.bytesPerElement(t.dtype);
  const buf = backend.wasm.HEAPU8.buffer;
  if (bytes === 4) return { heap: new Int32Array(buf), offset: data.memoryOffset >>> 2 };
  if (bytes === 1) return { heap: new Uint8Array(buf), offset: data.memoryOffset };
  throw new KernelError(`${kernel} (wasm): dtype ${t.dtype} is not supported`);
}

/** Runs at least this long are moved with copyWithin (a memmove); shorter ones element by element. */
const MIN_RUN = 16;
/** Tile edge of the blocked 2-D transpose (32×32 int32 = 4 KiB per side: both fit in L1). */
const BLOCK = 32;

/**
 * `dst[i] = src[srcOff + Σ_d idx_d(i) · strides[d]]` for every `i` of a row-major `shape` written from `dstOff`:
 * the one data-movement loop behind resdet's wasm Slice, Reverse and Transpose (strides may be negative).
 * Size-1 axes are dropped and axes contiguous in the source merged first, so a contiguous slice is one memmove,
 * rows of a 4-D slice are memmoves, and a transpose of the last two (merged) axes runs in cache-sized blocks.
 */
export function stridedCopy(
  heap: HeapElements,
  srcOff: number,
  dstOff: number,
  shape: readonly number[],
  strides: readonly number[],
): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) return;
  // Drop size-1 axes, merge (outer, inner) pairs whose source is contiguous.
  const dims: number[] = [];
  const st: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && st[last] === strides[d] * shape[d]) {
      dims[last] *= shape[d];
      st[last] = strides[d];
    } else {
      dims.push(shape[d]);
      st.push(strides[d]);
    }
  }
  if (dims.length === 0) {
    heap[dstOff] = heap[srcOff];
    return;
  }
  const r = dims.length;
  const inner = dims[r - 1];
  const innerStride = st[r - 1];
  // A transpose of the two innermost axes: blocks keep both the reads and the writes in cache.
  const transpose2d = r >= 2 && st[r - 2] === 1 && innerStride !== 1;
  const outerRank = transpose2d ? r - 2 : r - 1;
  const block = transpose2d ? dims[r - 2] * inner : inner;
  const outerCount = size / block;
  const idx = new Array<number>(outerRank).fill(0);
  let src = srcOff;
  let dst = dstOff;
  for (let o = 0; o < outerCount; o++) {
    if (transpose2d) {
      transposeBlock(heap, src, dst, dims[r - 2], inner, innerStride);
    } else if (innerStride === 1 && inner >= MIN_RUN) {
      heap.copyWithin(dst, src, src + inner);
    } else {
      for (let j = 0, s = src; j < inner; j++, s += innerStride) heap[dst + j] = heap[s];
    }
    dst += block;
    // Odometer over the outer axes.
    for (let d = outerRank - 1; d >= 0; d--) {
      src += st[d];
      if (++idx[d] < dims[d]) break;
      src -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/** `dst[i·cols + j] = src[i + j·colStride]` for i < rows, j < cols (the source's rows are contiguous). */
function transposeBlock(
  heap: HeapElements,
  src: number,
  dst: number,
  rows: number,
  cols: number,
  colStride: number,
): void {
  for (let i0 = 0; i0 < rows; i0 += BLOCK) {
    const i1 = Math.min(rows, i0 + BLOCK);
    for (let j0 = 0; j0 < cols; j0 += BLOCK) {
      const j1 = Math.min(cols, j0 + BLOCK);
      for (let i = i0; i < i1; i++) {
        const d = dst + i * cols;
        for (let j = j0, s = src + i + j0 * colStride; j < j1; j++, s += colStride) heap[d + j] = heap[s];
      }
    }
  }
}

/** Row-major strides of `shape`, in elements. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}
