/**
 * @resdet/runtime — the tensor engine: which tfjs backend runs (and its order of preference), the gradients
 * and kernels resdet registers where tfjs lacks them (wasm's Conv2DBackpropFilter, UnsortedSegmentSum, …),
 * and the WebGPU (Dawn) adapter set-up. It owns no model code.
 */
export * from './backend';
export { gradientsRegistered, registerGradients, RuntimeError } from './gradients';
export { registerResdetGradients, RESDET_GRADIENTS } from './extra-gradients';
export { registerResdetKernels, RESDET_WASM_KERNELS } from './kernels/register';
export { conv2dFilterGradient, IM2COL_BLOCK_ELEMENTS } from './kernels/conv2d-backprop-filter';
export { conv2dInputGradient } from './kernels/conv2d-backprop-input';
export { disposeInfo, heapF32, heapI32, KernelError, reshapeInfo, runWasmKernel } from './kernels/wasm-ops';
export type { WasmBackendLike } from './kernels/wasm-ops';
export * from './webgpu';
export { diagnoseBackends, type BackendReport } from './diagnose';
export {
  registerWebgpuKernels,
  unregisterWebgpuKernels,
  webgpuKernelActive,
  WEBGPU_KERNEL_NAMES,
} from './webgpu-kernels/register';
export {
  chooseTiling,
  planSplitK,
  webgpuConv2dFilterGradient,
  TILING_256,
  TILING_64,
  type GemmTiling,
  type SplitK,
} from './webgpu-kernels/conv2d-backprop-filter';
export {
  transposeGatherPlan,
  webgpuWeightedGather,
  webgpuWeightedScatter,
  WEIGHTED_GATHER,
  WEIGHTED_SCATTER,
  type ScatterPlan,
} from './webgpu-kernels/weighted-gather';
