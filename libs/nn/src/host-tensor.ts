/**
 * A tensor that lives in host memory, outside any tfjs backend: what checkpoint readers produce and
 * `Module.loadStateDict` consumes. Shapes and layouts are torch's (e.g. conv weights OIHW).
 */
export type HostDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface HostTensor {
  dtype: HostDType;
  shape: number[];
  /**
   * float16/bfloat16 are widened and float64 narrowed to Float32Array by readers (torch's
   * load_state_dict copies any float dtype into float32 parameters); int64 is BigInt64Array.
   */
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** torchvision-style state dict: dotted names (`backbone.body.layer1.0.conv1.weight`) → host tensors. */
export type StateDict = Map<string, HostTensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
