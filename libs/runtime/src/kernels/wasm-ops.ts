import { DataType, getKernel, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The part of tfjs-backend-wasm's `BackendWasm` that resdet's kernels use: allocation on the wasm heap,
 * heap views, reference-counted disposal. Typed structurally so the kernels depend on behaviour, not on the
 * package's internal declarations.
 */
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** Error raised by resdet's kernels with the kernel name and the offending value. */
export class KernelError extends Error {
  override name = 'KernelError';
}

/**
 * Runs another kernel registered for `wasm` directly on the backend (no engine, no tape, no tracking):
 * the way tfjs's own composite kernels call each other. The caller disposes the result with
 * {@link disposeInfo} unless it returns it.
 */
export function runWasmKernel(
  backend: WasmBackendLike,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (!kernel)
    throw new KernelError(
      `wasm kernel ${kernelName} is not registered (is @tensorflow/tfjs-backend-wasm loaded?)`,
    );
  const out = kernel.kernelFunc({ inputs, attrs, backend: backend as never });
  if (Array.isArray(out))
    throw new KernelError(`wasm kernel ${kernelName} returned ${out.length} outputs, expected 1`);
  return out;
}

/** Same data, new shape (a reshape that shares the buffer; the view holds its own reference). */
export function reshapeInfo(backend: WasmBackendLike, x: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** Releases one reference to an intermediate result. */
export function disposeInfo(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/**
 * A Float32Array over the whole wasm heap and the element offset of `t` in it. Take it *after* the last
 * allocation of the kernel: allocating may grow (and so detach) the heap buffer.
 */
export function heapF32(backend: WasmBackendLike, t: TensorInfo): { heap: Float32Array; offset: number } {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new KernelError(`tensor ${JSON.stringify(t.shape)} is not on the wasm backend`);
  return { heap: new Float32Array(backend.wasm.HEAPU8.buffer), offset: data.memoryOffset >>> 2 };
}

/** Int32 counterpart of {@link heapF32}. */
export function heapI32(backend: WasmBackendLike, t: TensorInfo): { heap: Int32Array; offset: number } {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new KernelError(`tensor ${JSON.stringify(t.shape)} is not on the wasm backend`);
  return { heap: new Int32Array(backend.wasm.HEAPU8.buffer), offset: data.memoryOffset >>> 2 };
}
