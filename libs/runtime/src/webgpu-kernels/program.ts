import { DataType, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-webgpu 4.22 that resdet's WGSL kernels use, typed locally so that nothing here
 * imports the optional package (it registers a backend on import and needs `navigator.gpu`).
 *
 * A program's `getUserCode()` is pasted by tfjs after its prelude: a `uniforms` struct (`NAN`, `INFINITY`, each
 * input's `<name>Shape`/`<name>ShapeStrides`, `outShape`/`outShapeStrides`, `size` when `size` is set, then the
 * program's own `uniforms` fields), `result` (the output, read_write storage), one read-only storage array per
 * input named as in `variableNames`, and the private globals `localId`, `localIndex`, `globalId`, `workgroupId`,
 * `numWorkgroups`. With a flat `dispatchLayout` (x only) the user code defines `fn main(index : i32)`, else
 * `fn main()`.
 */
export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** WGSL struct fields appended to tfjs's Uniforms, e.g. `'k : i32, n : i32,'` (i32 scalars here). */
  uniforms?: string;
  /** Adds `uniforms.size` (the output size). */
  size?: boolean;
  getUserCode(): string;
}

/** One program-defined uniform: `{type: 'int32', data: [v]}` per scalar field, in declaration order. */
export interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** The WebGPUBackend methods used here. */
export interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    uniforms?: ProgramUniform[],
  ): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  device: { limits: { maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupStorageSize: number } };
}

/** Threads per workgroup for the flat (one thread per output element) programs. */
export const FLAT_WORKGROUP = 64;

/** `[ceil(size / 64), 1, 1]`: tfjs reshapes a too-large x into x·y(·z) itself (then `main(index)` still works). */
export function flatDispatch(size: number): [number, number, number] {
  return [Math.max(1, Math.ceil(size / FLAT_WORKGROUP)), 1, 1];
}

/** A flat dispatch layout over every output dimension (tfjs then calls `main(globalIndex)`). */
export function flatLayout(rank: number): { x: number[] } {
  return { x: Array.from({ length: rank }, (_, i) => i) };
}

/** i32 scalar uniforms in declaration order. */
export function intUniforms(values: readonly number[]): ProgramUniform[] {
  return values.map((v) => {
    if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 31) {
      throw new RangeError(`webgpu-kernels: uniform ${v} is not an int32`);
    }
    return { type: 'int32', data: [v] };
  });
}

/** Frees an intermediate TensorInfo produced by `runWebGPUProgram`. */
export function disposeIntermediate(backend: WebGpuBackendLike, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}
