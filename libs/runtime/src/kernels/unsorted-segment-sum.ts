import {
  KernelConfig,
  KernelFunc,
  TensorInfo,
  UnsortedSegmentSum,
  UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { KernelError, WasmBackendLike } from './wasm-ops';

type HeapArray = Float32Array | Int32Array;

function heapView(backend: WasmBackendLike, t: TensorInfo): { heap: HeapArray; offset: number } {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data)
    throw new KernelError(`UnsortedSegmentSum (wasm): tensor ${JSON.stringify(t.shape)} is not on wasm`);
  const buf = backend.wasm.HEAPU8.buffer;
  const heap = t.dtype === 'float32' ? new Float32Array(buf) : new Int32Array(buf);
  return { heap, offset: data.memoryOffset >>> 2 };
}

/**
 * Scatter-add: `out[segmentIds[i], …] += x[i, …]` (what tf.gather's gradient uses). Ids outside
 * `[0, numSegments)` are dropped, as TensorFlow and tfjs's cpu kernel do.
 *
 * @param x          `[...segmentIds.shape, ...rest]`, float32 or int32
 * @param segmentIds int32, any shape that prefixes x's
 * @returns `[numSegments, ...rest]`, x's dtype
 */
export function unsortedSegmentSumHeap(
  backend: WasmBackendLike,
  x: TensorInfo,
  segmentIds: TensorInfo,
  numSegments: number,
): TensorInfo {
  const rest = x.shape.slice(segmentIds.shape.length);
  const inner = util.sizeFromShape(rest);
  const numIds = util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...rest], x.dtype);
  // Views after the allocation: allocating may have grown the heap.
  const { heap: o, offset: oOff } = heapView(backend, out);
  const { heap: xs, offset: xOff } = heapView(backend, x);
  const { heap: ids, offset: idOff } = heapView(backend, segmentIds);
  o.fill(0, oOff, oOff + numSegments * inner);
  for (let i = 0; i < numIds; i++) {
    const s = ids[idOff + i];
    if (s < 0 || s >= numSegments) continue;
    const src = xOff + i * inner;
    const dst = oOff + s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

/** `UnsortedSegmentSum` for wasm (tfjs-backend-wasm 4.22 has none). */
export const unsortedSegmentSumWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new KernelError(`UnsortedSegmentSum (wasm): x must be float32 or int32, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new KernelError(`UnsortedSegmentSum (wasm): segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  const prefix = x.shape.slice(0, segmentIds.shape.length);
  if (!util.arraysEqual(prefix, segmentIds.shape)) {
    throw new KernelError(
      `UnsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] must prefix x shape [${x.shape}]`,
    );
  }
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new KernelError(
      `UnsortedSegmentSum (wasm): numSegments must be a non-negative integer, got ${numSegments}`,
    );
  }
  return unsortedSegmentSumHeap(backend as unknown as WasmBackendLike, x, segmentIds, numSegments);
};

export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasm,
};
