/**
 * @resdet/eval — detection metrics on plain numbers (typed arrays, no tensors): COCO bbox evaluation identical
 * to pycocotools (loadRes, evaluate, accumulate, summarize), PASCAL VOC AP (2007 11-point and 2010+ area), and
 * reports (summary lines, per-class tables, PR-curve plots). It does not run models or read images; callers
 * hand it ground truth and detections.
 */
export * from './annotation-table';
export * from './coco-evaluator';
export * from './coco-params';
export * from './coco-types';
export * from './eval-error';
export * from './evaluate-coco';
export * from './ground-truth';
export * from './linspace';
export * from './load-results';
export * from './numpy-sum';
export * from './per-category';
export * from './py-format';
export * from './summarize';
export * from './svg-text';
export * from './pr-curve-svg';
export * from './pr-curves';
export * from './report';
export * from './write-pr-pngs';
export * from './voc-ap';
export * from './voc-eval';
