import * as tf from '@tensorflow/tfjs-core';
import { Module, type StateDict } from '@resdet/nn';
import { Rng } from '@resdet/random';
import type { Backbone } from './backbone';
import type { GeneralizedRCNNTransform, ImageBatch } from './transform';
import type { BatchShapes } from './batch-shapes';
import type { RegionProposalNetwork } from './region-proposal-network';
import type { RpnLossTargets } from './rpn-anchor-targets';
import type { Detections } from './postprocess';
import type { RoIHeads, RoiTrainingSamples, TargetBoxes } from './roi-heads';

/** torchvision's training loss dict. */
export interface DetectionLosses {
  loss_objectness: tf.Scalar;
  loss_rpn_box_reg: tf.Scalar;
  loss_classifier: tf.Scalar;
  loss_box_reg: tf.Scalar;
}

/**
 * Phase 1's output in a two-phase training step ({@link GeneralizedRCNN.prepareTrainingStep}): the transformed batch
 * and every host-side decision of torchvision's training forward (RPN anchor labels and sample, RoI sample and
 * targets). Only `images` is a tensor; the caller disposes it.
 */
export interface TrainingStepPlan {
  /** The normalised, padded batch [N, H, W, 3] (what the backbone sees). */
  images: tf.Tensor4D;
  shapes: BatchShapes;
  rpnTargets: RpnLossTargets;
  roiSamples: RoiTrainingSamples;
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
 * methods with separate return types. `predict` reads the host side through the runtime (sync where it can,
 * awaited where it must). `computeLosses` is synchronous (host reads use `dataSync`) so it can run inside
 * `tf.variableGrads`; backends without synchronous reads (webgpu in Node) use the two-phase training step: `await prepareTrainingStep` (forward without a tape, proposals
 * read with `await data()`, matching and sampling on the host) then `computeLossesFromPlan` inside
 * `tf.variableGrads` (a second forward, differentiable, given those decisions). Proposals are not differentiated
 * in torchvision either, so the losses and gradients are the same; the price is one more backbone + RPN-head
 * forward per step.
 *
 * @example
 * const model = fasterrcnnResnet50Fpn({ numClasses: 91 });
 * model.loadStateDict(readStateDict('fasterrcnn_resnet50_fpn_coco.pth'));
 * const [dets] = await model.eval().predict([image]); // image [H, W, 3] in 0–1; dets.boxes in original pixels
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
   * `eval()` first, as with torchvision). The two host reads (RPN outputs, box-predictor outputs) are synchronous
   * where the backend allows and awaited where it does not (webgpu in Node); the result is the same. Leaves no
   * tensors behind.
   * @param images [H, W, 3] float32 RGB in 0–1, any sizes (the caller keeps ownership).
   */
  async predict(images: readonly tf.Tensor3D[]): Promise<Detections[]> {
    if (images.length === 0) return [];
    const batch = this.transform.forward(images);
    const shapes = batchShapes(batch);
    let features: Map<string, tf.Tensor4D> | undefined;
    try {
      features = this.backbone.forward(batch.tensors);
      const proposals = await this.rpn.forward(shapes, features);
      const dets = await this.roiHeads.predict(features, proposals.boxes, batch.imageSizes);
      return dets.map((d, i) => ({
        ...d,
        boxes: this.transform.postprocessBoxes(d.boxes, batch.imageSizes[i], [
          images[i].shape[0],
          images[i].shape[1],
        ]),
      }));
    } finally {
      batch.tensors.dispose();
      if (features) tf.dispose([...features.values()]);
    }
  }

  /**
   * The training input both training paths share: targets checked, images transformed (short side drawn from
   * the rng when several are configured), boxes resized with them. The caller disposes `batch.tensors`.
   */
  private trainingBatch(caller: string, images: readonly tf.Tensor3D[], targets: readonly TargetBoxes[]) {
    if (targets.length !== images.length) {
      throw new Error(`${caller}: ${targets.length} targets for ${images.length} images`);
    }
    targets.forEach((t, i) => checkTarget(t, i, this.roiHeads.numClasses));
    const batch = this.transform.forward(
      images,
      targets.map((t) => t.boxes),
      this.transform.minSize.length > 1 ? this.rng : undefined,
    );
    const resizedTargets = batch.targets!.map((boxes, i) => ({ boxes, labels: targets[i].labels }));
    return { batch, shapes: batchShapes(batch), resizedTargets };
  }

  /**
   * torchvision's four training losses for a batch (call `train()` first). Targets' boxes are xyxy in original
   * pixels; labels are 1..numClasses−1. Returns scalars the caller disposes (the trainer calls this inside
   * `tf.variableGrads`).
   */
  computeLosses(images: readonly tf.Tensor3D[], targets: readonly TargetBoxes[]): DetectionLosses {
    const { batch, shapes, resizedTargets } = this.trainingBatch('computeLosses', images, targets);
    let features: Map<string, tf.Tensor4D> | undefined;
    try {
      features = this.backbone.forward(batch.tensors);
      const { proposals, losses: rpnLosses } = this.rpn.forwardWithLosses(
        shapes,
        features,
        resizedTargets.map((t) => t.boxes),
      );
      const roiLosses = this.roiHeads.computeLosses(
        features,
        proposals.boxes,
        batch.imageSizes,
        resizedTargets,
      );
      return { ...rpnLosses, ...roiLosses };
    } finally {
      batch.tensors.dispose();
      if (features) tf.dispose([...features.values()]);
    }
  }

  /**
   * Phase 1 of a two-phase training step (call `train()` first): transform (drawing the short side from the rng,
   * as {@link computeLosses}), backbone and RPN head forward without a gradient tape, proposals read with
   * `await data()`, then on the host the RPN's anchor labels and sample and the RoI heads' sample and targets —
   * the same draws, in the same order, as {@link computeLosses}. Running statistics that the forward updated
   * (trainable BatchNorm) are put back, so that phase 2 updates them once. Pass the plan to
   * {@link computeLossesFromPlan}; dispose `plan.images` afterwards.
   */
  async prepareTrainingStep(
    images: readonly tf.Tensor3D[],
    targets: readonly TargetBoxes[],
  ): Promise<TrainingStepPlan> {
    const { batch, shapes, resizedTargets } = this.trainingBatch('prepareTrainingStep', images, targets);
    const saved = new SavedBuffers(this);
    let features: Map<string, tf.Tensor4D> | undefined;
    try {
      features = this.backbone.forward(batch.tensors);
      const { proposals, targets: rpnTargets } = await this.rpn.proposalsAndTargetsAsync(
        shapes,
        features,
        resizedTargets.map((t) => t.boxes),
      );
      const roiSamples = this.roiHeads.selectTrainingSamples(proposals.boxes, resizedTargets);
      await saved.restoreChanged();
      return { images: batch.tensors, shapes, rpnTargets, roiSamples };
    } catch (e) {
      batch.tensors.dispose();
      throw e;
    } finally {
      saved.dispose();
      if (features) tf.dispose([...features.values()]);
    }
  }

  /**
   * Phase 2 of a two-phase training step: torchvision's four losses given phase 1's decisions — backbone, RPN
   * head, RoI pooling of the sampled RoIs, box head — with no host read, so it runs inside `tf.variableGrads`.
   * Same maths as {@link computeLosses}. Does not dispose `plan.images`.
   */
  computeLossesFromPlan(plan: TrainingStepPlan): DetectionLosses {
    let features: Map<string, tf.Tensor4D> | undefined;
    try {
      features = this.backbone.forward(plan.images);
      const rpnLosses = this.rpn.lossesFromTargets(plan.shapes, features, plan.rpnTargets);
      const roiLosses = this.roiHeads.lossesForSamples(features, plan.roiSamples, plan.shapes.imageSizes);
      return { ...rpnLosses, ...roiLosses };
    } finally {
      if (features) tf.dispose([...features.values()]);
    }
  }
}

/**
 * A module tree's buffers as they were when this was made, so that a forward's updates (BatchNorm's running stats,
 * which `setBuffer` replaces) can be undone. Holding the old values costs nothing: `tf.clone` shares the data.
 */
class SavedBuffers {
  private readonly before: [string, tf.Tensor][];
  private readonly kept: tf.Tensor[];

  constructor(private readonly module: Module) {
    this.before = module.namedBuffers();
    this.kept = this.before.map(([, t]) => tf.clone(t));
  }

  /** Loads the saved values of the buffers that were replaced since (one device read for all of them). */
  async restoreChanged(): Promise<void> {
    const now = new Map(this.module.namedBuffers());
    const changed = this.before.flatMap(([name, t], i) =>
      now.get(name) === t ? [] : [{ name, value: this.kept[i] }],
    );
    if (changed.length === 0) return;
    for (const c of changed) {
      if (c.value.rank > 1) {
        throw new Error(
          `prepareTrainingStep: buffer "${c.name}" of shape [${c.value.shape}] changed in the forward; only rank ≤ 1 buffers (BatchNorm statistics) can be put back`,
        );
      }
    }
    const flat = tf.tidy(() => tf.concat(changed.map((c) => tf.reshape(tf.cast(c.value, 'float32'), [-1]))));
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    const sd: StateDict = new Map();
    let off = 0;
    for (const c of changed) {
      sd.set(c.name, {
        dtype: 'float32',
        shape: [...c.value.shape],
        data: values.slice(off, off + c.value.size),
      });
      off += c.value.size;
    }
    this.module.loadStateDict(sd, { strict: false });
  }

  dispose(): void {
    tf.dispose(this.kept);
  }
}

function batchShapes(batch: ImageBatch): BatchShapes {
  return { batchSize: [batch.tensors.shape[1], batch.tensors.shape[2]], imageSizes: batch.imageSizes };
}

/** torchvision's target checks: boxes [G, 4] with positive width and height, labels in range. */
function checkTarget(t: TargetBoxes, i: number, numClasses: number): void {
  if (t.boxes.length % 4 !== 0 || t.boxes.length / 4 !== t.labels.length) {
    throw new Error(
      `target ${i}: boxes must be [G, 4] with one label per box, got ${t.boxes.length} values and ${t.labels.length} labels`,
    );
  }
  for (let k = 0; k < t.labels.length; k++) {
    const [x1, y1, x2, y2] = t.boxes.subarray(4 * k, 4 * k + 4);
    if (!(x2 > x1 && y2 > y1)) {
      throw new Error(
        `target ${i}: box ${k} [${x1}, ${y1}, ${x2}, ${y2}] must have positive width and height`,
      );
    }
    if (!(t.labels[k] >= 1 && t.labels[k] < numClasses)) {
      throw new Error(`target ${i}: label ${t.labels[k]} of box ${k} must be in 1..${numClasses - 1}`);
    }
  }
}
