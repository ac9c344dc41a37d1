/**
 * @resdet/data — everything between files on disk and host-side batches: image decoding with sharp (RGB uint8
 * HWC, EXIF orientation applied, alpha dropped), content sniffing, COCO and PASCAL VOC readers into one
 * record type (`xyxy` 0-based boxes, contiguous labels 1..K), COCO/VOC writers, the shapes dataset generator,
 * augmentations whose boxes follow the pixels, aspect-ratio-grouped batching and a decode-ahead loader.
 * It owns no tensors: normalisation, model-side resizing and padding happen in @resdet/detection.
 */
export * from './data-error';
export * from './detection-record';
export * from './category-map';
export * from './image-sniff';
export * from './image-io';
export * from './coco-dataset';
export * from './voc-dataset';
export * from './annotation-writers';
export * from './shape-polygons';
export * from './rgb-canvas';
export * from './shapes-generator';
export * from './shapes-dataset';
export * from './augmentation';
export * from './grouped-batch-sampler';
export * from './detection-loader';
export * from './pad-batch';
export * from './dataset-check';
export * from './drop-missing-images';
export { mapLimit } from './map-limit';
export { settleBatch, errorMessage, type Settled, type SettleOptions } from './settle-batch';
