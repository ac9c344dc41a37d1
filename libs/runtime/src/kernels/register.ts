import { getKernel, KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
// wasm registers its kernels when imported; it must come first, or it would overwrite resdet's overrides.
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterWasmConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputWasmConfig } from './conv2d-backprop-input';
import {
  depthwiseBackpropFilterWasmConfig,
  depthwiseBackpropInputWasmConfig,
} from './depthwise-conv2d-backprop';
import { maxPoolGradWasmConfig } from './max-pool-grad';
import { meanWasmConfig } from './mean';
import { reverseWasmConfig } from './reverse';
import { sliceWasmConfig } from './slice';
import { tileWasmConfig } from './tile';
import { transposeWasmConfig } from './transpose';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum';

/**
 * Kernels tfjs-backend-wasm 4.22 lacks that a ResNet / Faster R-CNN training step reaches (found by diffing
 * `getKernelsForBackend('wasm')` against `'cpu'` and by running such a step on wasm):
 * - Conv2DBackpropFilter: every conv's weight gradient;
 * - UnsortedSegmentSum: the gradient of tf.gather (embedding-like lookups, RoIAlign by gather);
 * - DepthwiseConv2dNativeBackpropFilter / Input: depthwise convs' gradients (not in ResNet, cheap to have).
 * The other kernels wasm lacks (FFT, Complex, Einsum, Ragged*, strings, Draw) are not on these models' paths.
 */
export const RESDET_WASM_KERNELS: readonly KernelConfig[] = [
  conv2dBackpropFilterWasmConfig,
  unsortedSegmentSumWasmConfig,
  depthwiseBackpropFilterWasmConfig,
  depthwiseBackpropInputWasmConfig,
];

/**
 * Kernels tfjs-backend-wasm 4.22 has but gets wrong; resdet's replace them:
 * - MaxPoolGrad: drops some windows' gradients when there is more than one channel;
 * - Conv2DBackpropInput: correct but 2–3 GFLOP/s; resdet's GEMM + col2im is ~10× faster;
 * - Mean: sums into a float32 accumulator; train-mode BatchNorm's batch variance over 8192 values comes out
 *   ~4e-5 off, enough to flip near-zero ReLU masks and so the step's gradients (see `mean.ts`);
 * - Slice, Tile, Reverse, Transpose: correct but 50–600× slower than moving the same bits with memmoves and
 *   blocked copies on the heap (Slice copies its whole input first; the others compute every element's index),
 *   ~2 s of an R18-FPN training step (`bench/train-step.ts --profile`). Results are bit-identical.
 */
export const RESDET_WASM_OVERRIDES: readonly KernelConfig[] = [
  maxPoolGradWasmConfig,
  conv2dBackpropInputWasmConfig,
  meanWasmConfig,
  sliceWasmConfig,
  tileWasmConfig,
  reverseWasmConfig,
  transposeWasmConfig,
];

/**
 * Registers resdet's kernels for the backends that lack them, and its replacements for broken ones.
 * Idempotent: a missing kernel that is registered by now (ours from an earlier call, or a native one from a
 * newer tfjs) is left alone; an override is installed once. Safe to call before the wasm backend
 * is initialised (kernels are looked up when an op runs). Returns the kernel names it registered now.
 */
export function registerResdetKernels(): string[] {
  const added: string[] = [];
  for (const config of RESDET_WASM_KERNELS) {
    if (getKernel(config.kernelName, config.backendName)) continue;
    registerKernel(config);
    added.push(config.kernelName);
  }
  for (const config of RESDET_WASM_OVERRIDES) {
    const current = getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
