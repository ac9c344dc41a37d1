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

/** What a pool worker posts back: one `ready` or `load-error`, then one `result` or `error` per batch. */
export type WorkerReply =
  | { type: 'ready'; backend: string; arch: string; labels: LabelMap }
  | { type: 'load-error'; message: string }
  | { type: 'result'; detections: Detections[] }
  | { type: 'error'; message: string }
  | { type: 'log'; message: string; warning?: boolean };
