import type { ModelSource } from '@resdet/inference';

/** BullMQ queue that carries detection tasks (one per chunk of images). */
export const DETECT_QUEUE = 'resdet-detect';

/** A model as workers see it: the model flags with absolute paths, plus each file's SHA-256. */
export interface ModelRef {
  source: ModelSource;
  /** Absolute path → sha256 hex of the files the source names (weights, config, classes). */
  hashes: Record<string, string>;
}

/** One image of a task. `file` is a path every worker can read (shared storage). */
export interface TaskItem {
  file: string;
  /** The name results use (relative to the input folder, as in a local run). */
  relative: string;
  imageId?: number;
}

/** The payload of one BullMQ job: a chunk of a run's images and how to process them. */
export interface DetectTask {
  runId: string;
  chunk: number;
  model: ModelRef;
  items: TaskItem[];
  /** Images per forward pass. */
  batchSize: number;
  /** Drawings folder on shared storage (`detect --save-images`). */
  saveImagesDir?: string;
}

/** BullMQ job id of a run's chunk (custom ids may not contain ':'). */
export const taskJobId = (runId: string, chunk: number) => `${runId}-${chunk}`;
