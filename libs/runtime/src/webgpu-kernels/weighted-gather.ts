import * as tf from '@tensorflow/tfjs-core';
import { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  flatDispatch,
  flatLayout,
  FLAT_WORKGROUP,
  intUniforms,
  WebGpuBackendLike,
  WebGpuProgram,
} from './program';

/**
 * Weighted gather on WebGPU — the core of RoIAlign (see @resdet/detection's weighted-gather.ts):
 *
 *   forward   out[r, c] = Σ_{j<k} w[r·k + j] · F[idx[r·k + j], c]          F `[S, C]`, out `[R, C]`
 *   backward  dF[s, c]  = Σ_{(r, j): idx[r·k+j] = s} w[r·k + j] · dy[r, c]
 *
 * Both are one thread per output element. The backward is a gather too (no float atomics in WGSL): the plan is
 * transposed on the host into CSR-by-destination (`offsets[S + 1]`, source row and weight per entry), so each
 * thread of `dF` sums exactly the entries that land on its row. tfjs's path (GatherV2 of `[R·k, C]`, Mul, Sum;
 * ScatterNd for the gradient) needs several dispatches and an `R·k·C` intermediate.
 */

export const WEIGHTED_GATHER = 'ResdetWeightedGather';
export const WEIGHTED_SCATTER = 'ResdetWeightedScatter';

class WeightedGatherProgram implements WebGpuProgram {
  variableNames = ['x', 'idx', 'w'];
  outputShape: number[];
  shaderKey = 'resdetWeightedGather';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [FLAT_WORKGROUP, 1, 1];
  size = true;
  uniforms = 'gK : i32, gC : i32,';

  constructor(rows: number, channels: number) {
    this.outputShape = [rows, channels];
    this.dispatchLayout = flatLayout(2);
    this.dispatch = flatDispatch(rows * channels);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let r = index / uniforms.gC;
          let c = index - r * uniforms.gC;
          var s = 0.0;
          for (var j = r * uniforms.gK; j < (r + 1) * uniforms.gK; j++) {
            let wj = w[j];
            if (wj != 0.0) { s = s + wj * x[idx[j] * uniforms.gC + c]; }
          }
          setOutputAtIndex(index, s);
        }
      }
    `;
  }
}

class WeightedScatterProgram implements WebGpuProgram {
  variableNames = ['dy', 'offsets', 'src', 'w'];
  outputShape: number[];
  shaderKey = 'resdetWeightedScatter';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [FLAT_WORKGROUP, 1, 1];
  size = true;
  uniforms = 'gC : i32,';

  constructor(segments: number, channels: number) {
    this.outputShape = [segments, channels];
    this.dispatchLayout = flatLayout(2);
    this.dispatch = flatDispatch(segments * channels);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let s = index / uniforms.gC;
          let c = index - s * uniforms.gC;
          var acc = 0.0;
          for (var e = offsets[s]; e < offsets[s + 1]; e++) {
            acc = acc + w[e] * dy[src[e] * uniforms.gC + c];
          }
          setOutputAtIndex(index, acc);
        }
      }
    `;
  }
}

export const weightedGatherWebgpuConfig: KernelConfig = {
  kernelName: WEIGHTED_GATHER,
  backendName: 'webgpu',
  kernelFunc: ((args: {
    inputs: { x: TensorInfo; idx: TensorInfo; w: TensorInfo };
    backend: unknown;
    attrs: unknown;
  }) => {
    const { x, idx, w } = args.inputs;
    const { k } = args.attrs as { k: number };
    const c = x.shape[1];
    const rows = idx.shape[0] / k;
    const program = new WeightedGatherProgram(rows, c);
    return (args.backend as WebGpuBackendLike).runWebGPUProgram(
      program,
      [x, idx, w],
      'float32',
      intUniforms([k, c]),
    );
  }) as unknown as KernelFunc,
};

export const weightedScatterWebgpuConfig: KernelConfig = {
  kernelName: WEIGHTED_SCATTER,
  backendName: 'webgpu',
  kernelFunc: ((args: {
    inputs: { dy: TensorInfo; offsets: TensorInfo; src: TensorInfo; w: TensorInfo };
    backend: unknown;
  }) => {
    const { dy, offsets, src, w } = args.inputs;
    const c = dy.shape[1];
    const segments = offsets.shape[0] - 1;
    const program = new WeightedScatterProgram(segments, c);
    return (args.backend as WebGpuBackendLike).runWebGPUProgram(
      program,
      [dy, offsets, src, w],
      'float32',
      intUniforms([c]),
    );
  }) as unknown as KernelFunc,
};

/** A gather plan transposed to CSR by destination row (entries with weight 0 dropped). */
export interface ScatterPlan {
  /** `[segments + 1]`: entries of destination row s are `offsets[s] ≤ e < offsets[s + 1]`. */
  offsets: Int32Array;
  /** Source row (row of dy) of each entry, `[nnz]`. */
  src: Int32Array;
  /** Weight of each entry, `[nnz]`. */
  w: Float32Array;
}

/**
 * Transposes a gather plan (`k` (index, weight) pairs per output row) into CSR by destination, by counting sort:
 * O(R·k + segments). Entries of one destination keep their source order.
 * @throws RangeError naming the entry when an index is outside `[0, segments)`.
 */
export function transposeGatherPlan(
  idx: Int32Array,
  w: Float32Array,
  k: number,
  segments: number,
): ScatterPlan {
  if (idx.length !== w.length || (k > 0 && idx.length % k !== 0)) {
    throw new RangeError(
      `transposeGatherPlan: idx (${idx.length}) and w (${w.length}) must both be rows·k (k = ${k})`,
    );
  }
  const offsets = new Int32Array(segments + 1);
  for (let e = 0; e < idx.length; e++) {
    if (w[e] === 0) continue;
    const s = idx[e];
    if (!(s >= 0 && s < segments))
      throw new RangeError(`transposeGatherPlan: idx[${e}] = ${s} is outside [0, ${segments})`);
    offsets[s + 1]++;
  }
  for (let s = 0; s < segments; s++) offsets[s + 1] += offsets[s];
  const nnz = offsets[segments];
  const src = new Int32Array(nnz);
  const ws = new Float32Array(nnz);
  const next = offsets.slice(0, segments);
  for (let e = 0; e < idx.length; e++) {
    if (w[e] === 0) continue;
    const p = next[idx[e]]++;
    src[p] = Math.floor(e / k);
    ws[p] = w[e];
  }
  return { offsets, src, w: ws };
}

/**
 * `out[r] = Σ_j w[r·k + j] · features[idx[r·k + j]]` on the webgpu backend (one dispatch).
 * @param features `[S, C]` float32 (a feature map `[N, H, W, C]` viewed as `[N·H·W, C]`)
 * @param idx row indices into features, `[R·k]`; @param w weights `[R·k]` (0 for padding)
 * @returns `[R, C]`
 */
export function webgpuWeightedGather(
  features: tf.Tensor2D,
  idx: Int32Array,
  w: Float32Array,
  k: number,
): tf.Tensor2D {
  const rows = k > 0 ? idx.length / k : 0;
  if (!Number.isInteger(rows) || idx.length !== w.length) {
    throw new RangeError(
      `webgpuWeightedGather: idx (${idx.length}) and w (${w.length}) must both be rows·k (k = ${k})`,
    );
  }
  const c = features.shape[1];
  if (rows === 0 || c === 0) return tf.zeros([rows, c]);
  return tf.tidy(
    () =>
      tf
        .engine()
        .runKernel(
          WEIGHTED_GATHER,
          { x: features, idx: tf.tensor1d(idx, 'int32'), w: tf.tensor1d(w, 'float32') },
          {
            k,
          } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor2D,
  );
}

/**
 * The gradient of {@link webgpuWeightedGather} w.r.t. features: `dF[s] = Σ_{idx[e] = s} w[e] · dy[⌊e/k⌋]`.
 * @param dy `[R, C]`; @param segments rows of the feature view `S`
 * @returns `[S, C]`
 */
export function webgpuWeightedScatter(
  dy: tf.Tensor2D,
  idx: Int32Array,
  w: Float32Array,
  k: number,
  segments: number,
): tf.Tensor2D {
  const plan = transposeGatherPlan(idx, w, k, segments);
  const c = dy.shape[1];
  if (plan.src.length === 0 || c === 0) return tf.zeros([segments, c]);
  return tf.tidy(
    () =>
      tf.engine().runKernel(WEIGHTED_SCATTER, {
        dy,
        offsets: tf.tensor1d(plan.offsets, 'int32'),
        src: tf.tensor1d(plan.src, 'int32'),
        w: tf.tensor1d(plan.w, 'float32'),
      }) as tf.Tensor2D,
  );
}
