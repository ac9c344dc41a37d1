/**
 * The Detector facade's public types: what the CLI `detect` job and the REST API exchange with a model.
 * Boxes are `xyxy` in ORIGINAL image pixels (0-based, x2/y2 exclusive edges as torchvision reports them).
 */

/** A decoded image: RGB, uint8, HWC (row-major), as `@resdet/data` decodes it. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection {
  /** Class name (from the checkpoint config, `--classes`, or COCO names for 91-class models). */
  label: string;
  /** The model's category id: the contiguous label for trained models, the COCO id for torchvision's. */
  categoryId: number;
  score: number;
  box: Box;
}

export interface PredictOptions {
  /** Drop detections scoring below this (on top of the model's own score threshold). */
  scoreThreshold?: number;
  /** Keep at most this many detections per image (highest scores first). */
  maxDetections?: number;
  /** Keep only these class names. */
  classes?: readonly string[];
}

/** What a loaded model says about itself (health checks, response bodies, logs). */
export interface DetectorInfo {
  /** e.g. `fasterrcnn_resnet50_fpn` */
  model: string;
  /** tfjs backend or engine the model runs on. */
  backend: string;
  /** Class names indexed by contiguous label (0 = background). */
  classes: readonly string[];
}

/** Anything that turns a batch of images into detections: the Detector facade, or another engine behind it. */
export interface ImageDetector {
  readonly info: DetectorInfo;
  /** Batches it can run at once (a pool of workers): job loops keep that many in flight. 1 when absent. */
  readonly concurrency?: number;
  predict(images: readonly RawImage[], opts?: PredictOptions): Promise<Detection[][]>;
  /** Frees the model without waiting. */
  dispose(): void;
  /** Frees the model and resolves when it is gone (worker threads ended); servers await it on shutdown. */
  release?(): Promise<void>;
  /** The worker pool behind it, if any: health and metrics report it. */
  status?(): WorkerPoolStatus | undefined;
}

/** What a pool of engines in worker threads reports about itself. */
export interface WorkerPoolStatus {
  /** Worker threads that have not exited. */
  workersAlive: number;
  /** Each worker's live tensors, as last reported (after warm-up, then after each batch). */
  workerTensors: number[];
  /** Why the pool no longer runs batches (a worker crashed, or it was released); absent while it works. */
  failure?: string;
}
