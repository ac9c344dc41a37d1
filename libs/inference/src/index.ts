/**
 * @resdet/inference — the Detector facade the CLI and the REST API share: load a config and weights once,
 * predict(images) → detections in original pixels, plus the micro-batcher a server puts in front of it.
 * It owns no model maths (that is @resdet/detection) and no HTTP (that is apps/api).
 */
export * from './detection-types';
export * from './micro-batcher';
export * from './image-source';
export * from './results-writer';
export * from './draw-detections';
export * from './detect-job';
export * from './model-spec';
export * from './detector';
export * from './evaluate-dataset';
