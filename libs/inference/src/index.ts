/**
 * @resdet/inference — the Detector facade the CLI, the REST API and training's evaluation share: `openDetector`
 * loads a config and weights once and puts the model behind an engine (tfjs, or onnxruntime through
 * @resdet/onnx, imported lazily); predict(images) → detections in original pixels. It also owns the one dataset
 * path — read a split, its COCO ground truth, run any detector over it, COCO results — and the micro-batcher a
 * server puts in front of a detector. It owns no model maths (that is @resdet/detection) and no HTTP (apps/api).
 */
export * from './detection-types';
export * from './micro-batcher';
export * from './image-source';
export * from './results-writer';
export * from './draw-detections';
export * from './detect-job';
export * from './model-spec';
export * from './to-detections';
export * from './detection-engine';
export * from './detector';
export * from './coco-results';
export * from './dataset-split';
export * from './predict-dataset';
export * from './evaluate-detector';
export * from './classifier';
export * from './worker-crash-error';
export * from './detector-worker-script';
