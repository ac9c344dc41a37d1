/**
 * @resdet/onnx — the second executor of resdet's models: an ONNX writer (protobufjs over the onnx.proto subset,
 * opset 17), an exporter that walks the same module objects tfjs runs (BatchNorm folded into convolutions,
 * NCHW, symbolic image size), and the onnxruntime-node engine (`OrtFasterRcnn`: images in, raw detections out)
 * that @resdet/inference puts behind its Detector facade. It sits below inference and never imports it.
 * The sparse detection steps (anchors, proposal filtering, level mapping, post-processing) are
 * @resdet/detection's functions; this lib owns no model maths of its own and no checkpoint or image IO.
 */
export * from './onnx-proto';
export * from './graph-builder';
export * from './module-exporter';
export * from './export-detector';
export * from './host-transform';
export * from './ort-faster-rcnn';
export * from './onnx-files';
