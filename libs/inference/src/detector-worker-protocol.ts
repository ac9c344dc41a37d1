import type { Detections } from '@resdet/detection';
import type { RawImage } from './detection-types';
import type { OpenDetectorOptions } from './detector';
import type { LabelMap } from './to-detections';

/** A pool worker's `workerData`: the detector to open (no functions: they do not cross threads) and its index. */
export type WorkerInit = Omit<OpenDetectorOptions, 'log'> & { log?: undefined; index: number };

/** A batch for a pool worker: images are copied to it. */
export interface WorkerRequest {
  images: readonly RawImage[];
}

/**
 * What a pool worker posts back: one `ready` or `load-error`, then one `result` or `error` per batch. `tensors`
 * is the worker engine's `tf.memory().numTensors` (after warm-up, after each batch) for health and metrics.
 */
export type WorkerReply =
  | { type: 'ready'; backend: string; arch: string; labels: LabelMap; tensors: number }
  | { type: 'load-error'; message: string }
  | { type: 'result'; detections: Detections[]; tensors: number }
  | { type: 'error'; message: string }
  | { type: 'log'; message: string; warning?: boolean };
