import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng } from '@resdet/nn';
import type { Backbone } from './backbone';
import type { GeneralizedRCNNTransform, ImageBatch } from './transform';
import type { BatchShapes, RegionProposalNetwork } from './region-proposal-network';
import type { Detections } from './postprocess';
import type { RoIHeads, TargetBoxes } from './roi-heads';

/** torchvision's training loss dict. */
export interface DetectionLosses {
  loss_objectness: tf.Scalar;
  loss_rpn_box_reg: tf.Scalar;
  loss_classifier: tf.Scalar;
  loss_box_reg: tf.Scalar;
}

/** Inputs of {@link GeneralizedRCNN}: its four parts, as torchvision's constructor takes them. */
export interface GeneralizedRCNNParts {
  backbone: Backbone;
  rpn: RegionProposalNetwork;
  roiHeads: RoIHeads;
  transform: GeneralizedRCNNTransform;
  /** Picks the training short side when the transform has several `minSize`s. Default `new Rng(0)`. */
  rng?: Rng;
}

/**
 * torchvision's `GeneralizedRCNN`: transform → backbone → RPN → RoI heads → boxes back to original pixels. The
 * parts are injected; Faster R-CNN variants are only different parts (see builders.ts). Children are
 * `backbone`, `rpn`, `roi_heads` (torchvision's state-dict prefixes). Inference and training are separate
 * methods with separate return types; both are synchronous (host reads use `dataSync`) so `computeLosses` can
 * run inside `tf.variableGrads`.
 *
 * @example
 * const model = fasterrcnnResnet50Fpn({ numClasses: 91 });
 * model.loadStateDict(readStateDict('fasterrcnn_resnet50_fpn_coco.pth'));
 * const [dets] = model.eval().predict([image]); // image [H, W, 3] in 0–1; dets.boxes in original pixels
 */
export class GeneralizedRCNN extends Module {
  readonly backbone: Backbone;
  readonly rpn: RegionProposalNetwork;
  readonly roiHeads: RoIHeads;
  readonly transform: GeneralizedRCNNTransform;
  private readonly rng: Rng;

  constructor(parts: GeneralizedRCNNParts) {
    super();
    this.backbone = this.registerModule('backbone', parts.backbone);
    this.rpn = this.registerModule('rpn', parts.rpn);
    this.roiHeads = this.registerModule('roi_heads', parts.roiHeads);
    this.transform = parts.transform;
    this.rng = parts.rng ?? new Rng(0);
  }

  /**
   * Detections per image, boxes xyxy in ORIGINAL pixels. Uses the module's mode for the RPN top-n (call
   * `eval()` first, as with torchvision). Leaves no tensors behind.
   * @param images [H, W, 3] float32 RGB in 0–1, any sizes (the caller keeps ownership).
   */
  predict(images: readonly tf.Tensor3D[]): Detections[] {
    if (images.length === 0) return [];
    const batch = this.transform.forward(images);
    const shapes = batchShapes(batch);
    let features: Map<string, tf.Tensor4D> | undefined;
    try {
      features = this.backbone.forward(batch.tensors);
      const proposals = this.rpn.forward(shapes, features);
      const dets = this.roiHeads.predict(features, proposals.boxes, batch.imageSizes);
      return dets.map((d, i) => ({
        ...d,
        boxes: this.transform.postprocessBoxes(d.boxes, batch.imageSizes[i], [images[i].shape[0], images[i].shape[1]]),
      }));
    } finally {
      batch.tensors.dispose();
      if (features) tf.dispose([...features.values()]);
    }
  }

  /**
   * torchvision's four training losses for a batch (call `train()` first). Targets' boxes are xyxy in original
   * pixels; labels are 1..numClasses−1. Returns scalars the caller disposes (the trainer calls this inside
   * `tf.variableGrads`).
   */
  computeLosses(images: readonly tf.Tensor3D[], targets: readonly TargetBoxes[]): DetectionLosses {
    if (targets.length !== images.length) {
      throw new Error(`computeLosses: ${targets.length} targets for ${images.length} images`);
    }
    targets.forEach((t, i) => checkTarget(t, i, this.roiHeads.numClasses));
    const batch = this.transform.forward(
      images,
      targets.map((t) => t.boxes),
      this.transform.minSize.length > 1 ? this.rng : undefined,
    );
    const shapes = batchShapes(batch);
    const resizedTargets = batch.targets!.map((boxes, i) => ({ boxes, labels: targets[i].labels }));
    let features: Map<string, tf.Tensor4D> | undefined;
    try {
      features = this.backbone.forward(batch.tensors);
      const { proposals, losses: rpnLosses } = this.rpn.forwardWithLosses(
        shapes,
        features,
        resizedTargets.map((t) => t.boxes),
      );
      const roiLosses = this.roiHeads.computeLosses(features, proposals.boxes, batch.imageSizes, resizedTargets);
      return { ...rpnLosses, ...roiLosses };
    } finally {
      batch.tensors.dispose();
      if (features) tf.dispose([...features.values()]);
    }
  }
}

function batchShapes(batch: ImageBatch): BatchShapes {
  return { batchSize: [batch.tensors.shape[1], batch.tensors.shape[2]], imageSizes: batch.imageSizes };
}

/** torchvision's target checks: boxes [G, 4] with positive width and height, labels in range. */
function checkTarget(t: TargetBoxes, i: number, numClasses: number): void {
  if (t.boxes.length % 4 !== 0 || t.boxes.length / 4 !== t.labels.length) {
    throw new Error(`target ${i}: boxes must be [G, 4] with one label per box, got ${t.boxes.length} values and ${t.labels.length} labels`);
  }
  for (let k = 0; k < t.labels.length; k++) {
    const [x1, y1, x2, y2] = t.boxes.subarray(4 * k, 4 * k + 4);
    if (!(x2 > x1 && y2 > y1)) {
      throw new Error(`target ${i}: box ${k} [${x1}, ${y1}, ${x2}, ${y2}] must have positive width and height`);
    }
    if (!(t.labels[k] >= 1 && t.labels[k] < numClasses)) {
      throw new Error(`target ${i}: label ${t.labels[k]} of box ${k} must be in 1..${numClasses - 1}`);
    }
  }
}
