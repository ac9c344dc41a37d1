import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  disposeIntermediate,
  flatDispatch,
  flatLayout,
  FLAT_WORKGROUP,
  intUniforms,
  WebGpuBackendLike,
  WebGpuProgram,
} from './program';

/**
 * Conv2DBackpropFilter on WebGPU as a tiled, split-K GEMM with implicit im2col:
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·sh + kh·dh − pt, ow·sw + kw·dw − pl, ci] · dy[n, oh, ow, co]
 *
 * i.e. `dW[m, co] = Σ_k A[m, k] · dy[k, co]` with `m = (kh·KW + kw)·CI + ci` (rows of the HWIO filter, so the
 * output is the filter gradient as laid out) and `k = (n·OH + oh)·OW + ow` (rows of dy, read as-is). A is never
 * built: each workgroup stages a `TK × TM` tile of it (zero outside the padded input) and a `TK × TN` tile of dy in
 * workgroup memory, and every thread accumulates `RM × RN` outputs in registers.
 *
 * tfjs 4.22's kernel gives one thread per output element a serial loop over all of `n·OH·OW` (0.08–0.29
 * TFLOP/s on an H100 for ResNet's shapes, where M·N is small and K is huge). Here the reduction is also split
 * over `S` workgroup slices (split-K, each writes a partial `[M, N]`) so that even a 64×64 filter gradient over
 * 8×200×304 positions fills the GPU; a second flat program sums the S partials.
 */

/** Workgroup tile geometry. `TM = TY·RM` rows of dW (M) and `TN = TX·RN` columns (C_out) per workgroup. */
export interface GemmTiling {
  tx: number;
  ty: number;
  rm: number;
  rn: number;
  tk: number;
}

/** 16×16 threads, 4×4 outputs each (64×64 tiles, 8 KiB of workgroup memory): for real GPUs. */
export const TILING_256: GemmTiling = { tx: 16, ty: 16, rm: 4, rn: 4, tk: 16 };
/** 8×8 threads (32×32 tiles, 4 KiB): for the WebGPU compatibility level (≤ 128 invocations per workgroup). */
export const TILING_64: GemmTiling = { tx: 8, ty: 8, rm: 4, rn: 4, tk: 16 };

/** The largest tiling the device allows. */
export function chooseTiling(limits: WebGpuBackendLike['device']['limits']): GemmTiling {
  const fits = (t: GemmTiling): boolean =>
    t.tx * t.ty <= limits.maxComputeInvocationsPerWorkgroup &&
    4 * t.tk * (t.ty * t.rm + t.tx * t.rn) <= limits.maxComputeWorkgroupStorageSize;
  return fits(TILING_256) ? TILING_256 : TILING_64;
}

/** How the reduction `K` is split across workgroups. */
export interface SplitK {
  /** Number of slices (partial outputs). */
  splits: number;
  /** Reduction length per slice, a multiple of the tile depth. */
  kPerSplit: number;
  /** `kPerSplit / tk`: the (uniform) number of tile steps every workgroup runs. */
  tilesPerSplit: number;
}

/** Workgroups the split aims for (≈ 8 per SM on a 132-SM H100). */
export const TARGET_WORKGROUPS = 1024;
/** No slice shorter than this many tile steps (each step is TK reduction elements). */
export const MIN_TILES_PER_SPLIT = 8;
/** Bound on the partial sums' size (float32 elements, 128 MiB). */
export const MAX_PARTIAL_ELEMENTS = 1 << 25;

/**
 * Chooses the split-K factor for an `M × N` output reduced over `K`: enough slices for about
 * TARGET_WORKGROUPS workgroups, each slice at least MIN_TILES_PER_SPLIT tile steps long, partials bounded.
 */
export function planSplitK(m: number, n: number, k: number, t: GemmTiling): SplitK {
  const tilesMN = Math.ceil(m / (t.ty * t.rm)) * Math.ceil(n / (t.tx * t.rn));
  const kTiles = Math.max(1, Math.ceil(k / t.tk));
  let splits = Math.ceil(TARGET_WORKGROUPS / tilesMN);
  splits = Math.min(splits, Math.max(1, Math.floor(kTiles / MIN_TILES_PER_SPLIT)));
  splits = Math.min(splits, Math.max(1, Math.floor(MAX_PARTIAL_ELEMENTS / (m * n))));
  splits = Math.max(1, splits);
  const tilesPerSplit = Math.ceil(kTiles / splits);
  splits = Math.ceil(kTiles / tilesPerSplit); // no empty slices
  return { splits, kPerSplit: tilesPerSplit * t.tk, tilesPerSplit };
}

/** The GEMM: output `[S·KH, KW, CI, CO]` (S partial filter gradients stacked; S = 1 is the gradient itself). */
class FilterGradGemmProgram implements WebGpuProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [3], y: [2], z: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms =
    'gM : i32, gN : i32, gK : i32, gCI : i32, gKW : i32, gH : i32, gW : i32, gOH : i32, gOW : i32, ' +
    'gSH : i32, gSW : i32, gDH : i32, gDW : i32, gPT : i32, gPL : i32, gKPerSplit : i32, gTiles : i32,';

  constructor(
    conv: backend_util.Conv2DInfo,
    private readonly t: GemmTiling,
    splits: number,
  ) {
    const m = conv.filterHeight * conv.filterWidth * conv.inChannels;
    this.outputShape = [splits * conv.filterHeight, conv.filterWidth, conv.inChannels, conv.outChannels];
    this.workgroupSize = [t.tx, t.ty, 1];
    this.dispatch = [Math.ceil(conv.outChannels / (t.tx * t.rn)), Math.ceil(m / (t.ty * t.rm)), splits];
    this.shaderKey = `resdetFilterGradGemm_${t.tx}_${t.ty}_${t.rm}_${t.rn}_${t.tk}`;
  }

  getUserCode(): string {
    const { tx, ty, rm, rn, tk } = this.t;
    const tm = ty * rm;
    const tn = tx * rn;
    const threads = tx * ty;
    if (threads % tm !== 0 || threads % tn !== 0 || (tk * tm) % threads !== 0 || (tk * tn) % threads !== 0) {
      throw new RangeError(
        `resdet filter-grad GEMM: tiling ${JSON.stringify(this.t)} does not divide its tiles`,
      );
    }
    const aLoads = (tk * tm) / threads;
    const bLoads = (tk * tn) / threads;
    return `
      var<workgroup> tileA : array<f32, ${tk * tm}>;
      var<workgroup> tileB : array<f32, ${tk * tn}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = i32(localIndex);
        let nBase = i32(workgroupId.x) * ${tn};
        let mBase = i32(workgroupId.y) * ${tm};
        let kBegin = i32(workgroupId.z) * uniforms.gKPerSplit;
        let kEnd = min(kBegin + uniforms.gKPerSplit, uniforms.gK);

        // This thread's column of the A tile: a fixed filter row m = (kh·KW + kw)·CI + ci.
        let aCol = lid % ${tm};
        let am = mBase + aCol;
        let aValid = am < uniforms.gM;
        let ci = am % uniforms.gCI;
        let khw = am / uniforms.gCI;
        let offH = (khw / uniforms.gKW) * uniforms.gDH - uniforms.gPT;
        let offW = (khw % uniforms.gKW) * uniforms.gDW - uniforms.gPL;
        // This thread's column of the dy tile.
        let bCol = lid % ${tn};
        let bn = nBase + bCol;
        let bValid = bn < uniforms.gN;

        var acc : array<f32, ${rm * rn}>;
        for (var i = 0; i < ${rm * rn}; i++) { acc[i] = 0.0; }

        for (var t = 0; t < uniforms.gTiles; t++) {
          let k0 = kBegin + t * ${tk};
          for (var j = 0; j < ${aLoads}; j++) {
            let r = lid / ${tm} + j * ${threads / tm};
            let k = k0 + r;
            var v = 0.0;
            if (aValid && k < kEnd) {
              let ow = k % uniforms.gOW;
              let q = k / uniforms.gOW;
              let oh = q % uniforms.gOH;
              let b = q / uniforms.gOH;
              let ih = oh * uniforms.gSH + offH;
              let iw = ow * uniforms.gSW + offW;
              if (ih >= 0 && ih < uniforms.gH && iw >= 0 && iw < uniforms.gW) {
                v = x[((b * uniforms.gH + ih) * uniforms.gW + iw) * uniforms.gCI + ci];
              }
            }
            tileA[r * ${tm} + aCol] = v;
          }
          for (var j = 0; j < ${bLoads}; j++) {
            let r = lid / ${tn} + j * ${threads / tn};
            let k = k0 + r;
            var v = 0.0;
            if (bValid && k < kEnd) {
              v = dy[k * uniforms.gN + bn];
            }
            tileB[r * ${tn} + bCol] = v;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${tk}; kk++) {
            var a : array<f32, ${rm}>;
            for (var i = 0; i < ${rm}; i++) { a[i] = tileA[kk * ${tm} + ty + i * ${ty}]; }
            for (var j = 0; j < ${rn}; j++) {
              let bv = tileB[kk * ${tn} + tx + j * ${tx}];
              for (var i = 0; i < ${rm}; i++) { acc[i * ${rn} + j] = acc[i * ${rn} + j] + a[i] * bv; }
            }
          }
          workgroupBarrier();
        }

        let outBase = i32(workgroupId.z) * uniforms.gM;
        for (var i = 0; i < ${rm}; i++) {
          let m = mBase + ty + i * ${ty};
          for (var j = 0; j < ${rn}; j++) {
            let n = nBase + tx + j * ${tx};
            if (m < uniforms.gM && n < uniforms.gN) {
              result[(outBase + m) * uniforms.gN + n] = acc[i * ${rn} + j];
            }
          }
        }
      }
    `;
  }
}

/** Sums `splits` stacked partials `[S·KH, KW, CI, CO]` → `[KH, KW, CI, CO]`, one thread per output element. */
class SumSlicesProgram implements WebGpuProgram {
  variableNames = ['parts'];
  outputShape: number[];
  shaderKey = 'resdetSumSlices';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [FLAT_WORKGROUP, 1, 1];
  size = true;
  uniforms = 'gSlices : i32,';

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = flatLayout(outputShape.length);
    this.dispatch = flatDispatch(outputShape.reduce((a, b) => a * b, 1));
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var s = 0.0;
          for (var p = 0; p < uniforms.gSlices; p++) { s = s + parts[p * uniforms.size + index]; }
          setOutputAtIndex(index, s);
        }
      }
    `;
  }
}

/**
 * The filter gradient of an NHWC conv on the webgpu backend (see the file comment).
 * @param x  input `[batch, inHeight, inWidth, inChannels]` float32
 * @param dy output gradient `[batch, outHeight, outWidth, outChannels]` float32
 * @param conv geometry from `backend_util.computeConv2DInfo` (channelsLast)
 * @param tiling workgroup tiling (default: the largest the device allows)
 * @returns `[filterHeight, filterWidth, inChannels, outChannels]` float32
 */
export function webgpuConv2dFilterGradient(
  backend: WebGpuBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  conv: backend_util.Conv2DInfo,
  tiling: GemmTiling = chooseTiling(backend.device.limits),
): TensorInfo {
  const m = conv.filterHeight * conv.filterWidth * conv.inChannels;
  const n = conv.outChannels;
  const k = conv.batchSize * conv.outHeight * conv.outWidth;
  const plan = planSplitK(m, n, k, tiling);
  const gemm = new FilterGradGemmProgram(conv, tiling, plan.splits);
  const uniforms = intUniforms([
    m,
    n,
    k,
    conv.inChannels,
    conv.filterWidth,
    conv.inHeight,
    conv.inWidth,
    conv.outHeight,
    conv.outWidth,
    conv.strideHeight,
    conv.strideWidth,
    conv.dilationHeight,
    conv.dilationWidth,
    conv.padInfo.top,
    conv.padInfo.left,
    plan.kPerSplit,
    plan.tilesPerSplit,
  ]);
  const parts = backend.runWebGPUProgram(gemm, [x, dy], 'float32', uniforms);
  if (plan.splits === 1) return parts;
  try {
    const sum = new SumSlicesProgram([
      conv.filterHeight,
      conv.filterWidth,
      conv.inChannels,
      conv.outChannels,
    ]);
    return backend.runWebGPUProgram(sum, [parts], 'float32', intUniforms([plan.splits]));
  } finally {
    disposeIntermediate(backend, parts);
  }
}

/**
 * Builds the KernelConfig; `fallback` (tfjs's own kernel) runs what this one does not cover (NCHW, non-float32).
 */
export function makeConv2dBackpropFilterWebgpuConfig(fallback?: KernelFunc): KernelConfig {
  const kernelFunc = ((args: {
    inputs: { x: TensorInfo; dy: TensorInfo };
    backend: unknown;
    attrs: unknown;
  }) => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
    if (dataFormat !== 'channelsLast' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
      if (!fallback) {
        throw new Error(
          `resdet webgpu Conv2DBackpropFilter: unsupported dataFormat ${attrs.dataFormat} / dtype ${x.dtype}`,
        );
      }
      return fallback(args as Parameters<KernelFunc>[0]);
    }
    const conv = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      dataFormat,
    );
    return webgpuConv2dFilterGradient(args.backend as WebGpuBackendLike, x, dy, conv);
  }) as unknown as KernelFunc;
  return { kernelName: Conv2DBackpropFilter, backendName: 'webgpu', kernelFunc };
}
