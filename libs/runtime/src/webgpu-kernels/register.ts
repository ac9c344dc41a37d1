import {
  Conv2DBackpropFilter,
  getKernel,
  KernelConfig,
  KernelFunc,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { makeConv2dBackpropFilterWebgpuConfig } from './conv2d-backprop-filter';
import { weightedGatherWebgpuConfig, weightedScatterWebgpuConfig } from './weighted-gather';

/** Marks resdet's kernel functions, and keeps the tfjs kernel each one replaced (restored on unregister). */
const REPLACED = Symbol.for('resdet.webgpu.replaced');
type Marked = KernelFunc & { [REPLACED]?: KernelConfig | null };

/**
 * resdet's WGSL kernels for tfjs-backend-webgpu:
 * - Conv2DBackpropFilter (replaces tfjs's): tiled split-K GEMM with implicit im2col (conv2d-backprop-filter.ts);
 * - ResdetWeightedGather / ResdetWeightedScatter (new): RoIAlign's weighted gather and its gradient.
 * Inference conv + folded BN + ReLU needs nothing new: resdet's ConvNorm folds the BN and calls
 * `tf.fused.conv2d` / `tf.fused.matMul` with bias and ReLU, which tfjs-backend-webgpu runs as one
 * FusedConv2D / _FusedMatMul dispatch.
 *
 * Must run after `@tensorflow/tfjs-backend-webgpu` is loaded (it registers its kernels on import and would
 * overwrite these). Idempotent. Returns the kernel names registered by this call.
 */
export function registerWebgpuKernels(): string[] {
  const added: string[] = [];
  const install = (make: (previous?: KernelFunc) => KernelConfig, name: string): void => {
    const current = getKernel(name, 'webgpu');
    if (current && (current.kernelFunc as Marked)[REPLACED] !== undefined) return; // already ours
    const config = make(current?.kernelFunc);
    (config.kernelFunc as Marked)[REPLACED] = current ?? null;
    if (current) unregisterKernel(name, 'webgpu');
    registerKernel(config);
    added.push(name);
  };
  install((previous) => makeConv2dBackpropFilterWebgpuConfig(previous), Conv2DBackpropFilter);
  install(
    () => ({ ...weightedGatherWebgpuConfig, kernelFunc: wrap(weightedGatherWebgpuConfig.kernelFunc) }),
    weightedGatherWebgpuConfig.kernelName,
  );
  install(
    () => ({ ...weightedScatterWebgpuConfig, kernelFunc: wrap(weightedScatterWebgpuConfig.kernelFunc) }),
    weightedScatterWebgpuConfig.kernelName,
  );
  return added;
}

/** A fresh function object per registration, so the marker never sticks to a shared config. */
const wrap = (f: KernelFunc): KernelFunc => ((args: Parameters<KernelFunc>[0]) => f(args)) as KernelFunc;

/**
 * Removes resdet's webgpu kernels and puts back the tfjs kernels they replaced (benchmarks compare both).
 * Returns the kernel names removed.
 */
export function unregisterWebgpuKernels(): string[] {
  const removed: string[] = [];
  for (const name of WEBGPU_KERNEL_NAMES) {
    const current = getKernel(name, 'webgpu');
    const previous = current && (current.kernelFunc as Marked)[REPLACED];
    if (previous === undefined) continue;
    unregisterKernel(name, 'webgpu');
    if (previous) registerKernel(previous);
    removed.push(name);
  }
  return removed;
}

/** Names of the kernels registerWebgpuKernels installs. */
export const WEBGPU_KERNEL_NAMES: readonly string[] = [
  Conv2DBackpropFilter,
  weightedGatherWebgpuConfig.kernelName,
  weightedScatterWebgpuConfig.kernelName,
];

/** Whether resdet's kernel is the one registered under `name` for webgpu now. */
export function webgpuKernelActive(name: string): boolean {
  const current = getKernel(name, 'webgpu');
  return Boolean(current && (current.kernelFunc as Marked)[REPLACED] !== undefined);
}
