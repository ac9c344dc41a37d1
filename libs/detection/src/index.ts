/**
 * @resdet/detection — Faster R-CNN on tfjs, torchvision-exact: box ops, NMS, box coder, matcher, sampler,
 * anchors, RoIAlign/RoIPool, the GeneralizedRCNN transform, RPN, RoI heads, FPN and post-processing.
 * Host-side geometry (NMS, matching, sampling) works on typed arrays; features are NHWC tensors.
 * It owns no backbone (see @resdet/resnet), no checkpoint IO and no image decoding.
 */
export * from './box-ops';
export * from './nms';
export * from './box-coder';
export * from './matcher';
export * from './balanced-sampler';
export * from './anchor-generator';
export * from './weighted-gather';
export * from './roi-align';
export * from './multi-scale-roi-align';
export * from './transform';
export * from './image-tensor';
export * from './postprocess';
export * from './roi-pool';
export * from './faster-rcnn.config';
export * from './backbone';
export * from './fpn';
export * from './backbone-with-fpn';
export * from './batch-shapes';
export { RPNHead } from './rpn-head';
export type { RpnHeadOutput, RpnFlatOutputs } from './rpn-head';
export { filterProposals } from './proposal-filter';
export type { FilterProposalsInput, Proposals } from './proposal-filter';
export type { RpnLossTargets } from './rpn-anchor-targets';
export type { RpnLosses } from './rpn-losses';
export * from './region-proposal-network';
export * from './two-mlp-head';
export * from './fast-rcnn-conv-fc-head';
export * from './c4-head';
export * from './fast-rcnn-predictor';
export * from './roi-heads';
export * from './losses';
export * from './generalized-rcnn';
export * from './builders';
