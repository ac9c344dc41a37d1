/**
 * Faster wasm kernels for the two products a training step's backward pass is made of, measured on the shapes
 * demo's Faster R-CNN step (tfjs-backend-wasm 4.22, one thread):
 *
 * - `BatchMatMul` / `_FusedMatMul` with `transposeA` or `transposeB` (every Linear layer's gradients) run a
 *   generic strided loop at 2–3 GFLOP/s where the untransposed XNNPACK path runs at ~40: transposing the
 *   operand first (a memory copy) and multiplying untransposed is 8–15× faster for the box head's shapes.
 * - `Conv2DBackpropInput` of a stride-1 conv (most of the FPN's and RPN's) equals a forward convolution of the
 *   output gradient with the spatially flipped filter whose in/out channels are swapped, padded by
 *   `k − 1 − pad`; XNNPACK runs it at ~35 GFLOP/s, 2× @resdet/runtime's GEMM + col2im (~17) and ~20× tfjs's
 *   own loop. Strided ones are left to the kernel registered before.
 *
 * Both are exact rewrites (same products, summed in a different order: float32 rounding differs, ~1e-6
 * relative). They wrap the kernels registered at the time of the call and fall back to them for what they do
 * not cover (dilated convolutions, channels-first, negative equivalent padding). `@resdet/runtime` owns kernel
 * registration; these live here because training is the only caller that needs them (move them to the
 * runtime's override list when it takes them over).
 */
import {
  backend_util,
  getKernel,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  registerKernel,
  TensorInfo,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { disposeInfo, runWasmKernel, type WasmBackendLike } from '@resdet/runtime';

type KernelArgs = Parameters<KernelFunc>[0];

/** Marks our wrappers so that registering twice keeps one wrapper around the original kernel. */
const WRAPPED = Symbol('resdet.fastBackprop');
type Wrapped = KernelFunc & { [WRAPPED]?: KernelFunc };

function transposeLastTwo(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** BatchMatMul / _FusedMatMul: transposed operands are materialised, then the untransposed kernel runs. */
function untransposedMatMul(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
    if (!attrs?.transposeA && !attrs?.transposeB) return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const made: TensorInfo[] = [];
    try {
      const a2 = attrs.transposeA ? transposeLastTwo(backend, a) : a;
      if (a2 !== a) made.push(a2);
      const b2 = attrs.transposeB ? transposeLastTwo(backend, b) : b;
      if (b2 !== b) made.push(b2);
      return original({
        ...args,
        inputs: { ...args.inputs, a: a2, b: b2 },
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      disposeInfo(backend, ...made);
    }
  };
}

/**
 * `Conv2DBackpropInput` of a stride-1 convolution as a forward convolution: dx = conv(dy, flip(W)ᵀ, pad
 * (k−1−top, k−1−left) and whatever bottom/right makes the output the input's size). Strided convolutions go
 * to the kernel registered before (@resdet/runtime's GEMM + col2im beats a conv over a zero-dilated gradient).
 */
function convBackpropInputAsConv(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as NamedAttrMap & {
      inputShape: [number, number, number, number];
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32')
      return original(args);
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const {
      filterHeight: kh,
      filterWidth: kw,
      strideHeight: sh,
      strideWidth: sw,
      inHeight: h,
      inWidth: w,
    } = info;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = h - info.outHeight - top + kh - 1;
    const right = w - info.outWidth - left + kw - 1;
    if (sh !== 1 || sw !== 1 || top < 0 || left < 0 || bottom < 0 || right < 0) return original(args);
    const made: TensorInfo[] = [];
    try {
      const flipped = runWasmKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
      made.push(flipped);
      const wT = runWasmKernel(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
      made.push(wT);
      const dx = runWasmKernel(
        backend,
        'Conv2D',
        { x: dy, filter: wT },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined as unknown as string,
        },
      );
      if (dx.shape[1] !== h || dx.shape[2] !== w) {
        disposeInfo(backend, dx);
        return original(args);
      }
      return dx;
    } finally {
      disposeInfo(backend, ...made);
    }
  };
}

const WRAPPERS: Record<string, (original: KernelFunc) => KernelFunc> = {
  BatchMatMul: untransposedMatMul,
  _FusedMatMul: untransposedMatMul,
  Conv2DBackpropInput: convBackpropInputAsConv,
};

/**
 * Wraps the wasm backend's `BatchMatMul`, `_FusedMatMul` and `Conv2DBackpropInput` kernels with the faster
 * formulations above. Idempotent; call after `initRuntime` (which registers resdet's own kernels). Returns
 * the kernel names wrapped now. Other backends are untouched.
 */
export function registerFastWasmBackprop(): string[] {
  const done: string[] = [];
  for (const [name, wrap] of Object.entries(WRAPPERS)) {
    const current = getKernel(name, 'wasm') as KernelConfig | undefined;
    if (!current || (current.kernelFunc as Wrapped)[WRAPPED]) continue;
    const wrapped: Wrapped = wrap(current.kernelFunc);
    wrapped[WRAPPED] = current.kernelFunc;
    unregisterKernel(name, 'wasm');
    registerKernel({ ...current, kernelFunc: wrapped });
    done.push(name);
  }
  return done;
}

/** Puts the wasm kernels wrapped by {@link registerFastWasmBackprop} back (tests compare both). */
export function unregisterFastWasmBackprop(): void {
  for (const name of Object.keys(WRAPPERS)) {
    const current = getKernel(name, 'wasm') as KernelConfig | undefined;
    const original = current && (current.kernelFunc as Wrapped)[WRAPPED];
    if (!current || !original) continue;
    unregisterKernel(name, 'wasm');
    registerKernel({ ...current, kernelFunc: original });
  }
}
