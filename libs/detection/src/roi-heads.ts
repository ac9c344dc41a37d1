import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@resdet/nn';
import { readTensors } from '@resdet/runtime';
import { BoxCoder, BoxCoderWeights } from './box-coder';
import { boxIou, selectBoxes } from './box-ops';
import { BoxPredictions, FastRCNNPredictor } from './fast-rcnn-predictor';
import type { FeatureMaps } from './fpn';
import { crossEntropySum, smoothL1LossSum } from './losses';
import { MultiScaleRoIAlign } from './multi-scale-roi-align';
import { BELOW_LOW_THRESHOLD, BETWEEN_THRESHOLDS, Matcher } from './matcher';
import { Detections, postprocessDetections } from './postprocess';
import type { FgBgSampler } from './balanced-sampler';
import type { HW } from './batch-shapes';

/** Pools RoI features: proposals per image (xyxy, resized pixels) → [R, S, S, C] in image order. */
export interface BoxRoiPool {
  forward(features: FeatureMaps, boxes: readonly Float32Array[], imageSizes: readonly HW[]): tf.Tensor4D;
}

/**
 * Adapts `MultiScaleRoIAlign` to named feature maps: pools from the maps named `featmapNames` (torchvision's
 * `featmap_names`, e.g. '0'..'3' — the FPN's 'pool' level is not pooled).
 */
export class FeatureRoiPool implements BoxRoiPool {
  constructor(
    readonly featmapNames: readonly string[],
    readonly pooler: MultiScaleRoIAlign,
  ) {}

  forward(features: FeatureMaps, boxes: readonly Float32Array[], imageSizes: readonly HW[]): tf.Tensor4D {
    const maps = this.featmapNames.map((n) => {
      const m = features.get(n);
      if (!m) throw new Error(`RoI pooling: no feature map "${n}" (have ${[...features.keys()].join(', ')})`);
      return m;
    });
    return this.pooler.forward(maps, boxes, imageSizes);
  }
}

/** A box head: pooled RoI features [R, S, S, C] → [R, F] (TwoMLPHead, the C4 head). */
export type BoxHead = Module & { forward(x: tf.Tensor4D): tf.Tensor2D };

/** Ground truth of one image: `boxes` [G, 4] xyxy (in the coordinates of the features' images), `labels` [G] ≥ 1. */
export interface TargetBoxes {
  boxes: Float32Array;
  labels: Int32Array;
}

/** torchvision `select_training_samples`' result, on the host: the sampled RoIs of every image and their targets. */
export interface RoiTrainingSamples {
  /** Per image, the sampled RoIs `[Rᵢ, 4]` xyxy (proposals and GT boxes, ascending index order). */
  proposals: Float32Array[];
  /** [R] class of each sampled RoI (0 = background), images concatenated. */
  labels: Int32Array;
  /** [R, 4] encoded regression targets (flat), images concatenated. */
  regressionTargets: Float32Array;
}

export interface RoiHeadsLosses {
  loss_classifier: tf.Scalar;
  loss_box_reg: tf.Scalar;
}

export interface RoIHeadsOptions {
  boxRoiPool: BoxRoiPool;
  boxHead: BoxHead;
  boxPredictor: FastRCNNPredictor;
  fgIouThresh: number;
  bgIouThresh: number;
  sampler: FgBgSampler;
  bboxRegWeights: readonly number[];
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImg: number;
  /** `remove_small_boxes(boxes, min_size=1e-2)` in postprocess. Default 1e-2. */
  minSize?: number;
}

/**
 * torchvision's `RoIHeads` for boxes: RoI pooling, box head, `FastRCNNPredictor`. Inference
 * ({@link RoIHeads.predict}) decodes class-specific boxes and post-processes them (softmax, clip, score
 * threshold, remove small, NMS per class, top-k). Training ({@link RoIHeads.computeLosses}) appends the GT
 * boxes to the proposals, matches (fg 0.5 / bg 0.5), samples a balanced set and returns `fastrcnn_loss`: cross
 * entropy over all sampled RoIs and smooth-L1 (β = 1/9) of the positives' deltas for their GT class, divided
 * by the number of sampled RoIs. Children: `box_head`, `box_predictor` (the pooler has no parameters).
 *
 * @example
 * const roiHeads = new RoIHeads({ boxRoiPool: new MultiScaleRoIAlign(['0','1','2','3'], 7, 2),
 *   boxHead: new TwoMLPHead(256, 7, 1024), boxPredictor: new FastRCNNPredictor(1024, 91),
 *   fgIouThresh: 0.5, bgIouThresh: 0.5, sampler, bboxRegWeights: [10, 10, 5, 5],
 *   scoreThresh: 0.05, nmsThresh: 0.5, detectionsPerImg: 100 });
 */
export class RoIHeads extends Module {
  readonly boxRoiPool: BoxRoiPool;
  readonly boxHead: BoxHead;
  readonly boxPredictor: FastRCNNPredictor;
  readonly boxCoder: BoxCoder;
  readonly matcher: Matcher;
  readonly sampler: FgBgSampler;
  readonly scoreThresh: number;
  readonly nmsThresh: number;
  readonly detectionsPerImg: number;
  readonly minSize: number;

  constructor(opts: RoIHeadsOptions) {
    super();
    this.boxRoiPool = opts.boxRoiPool;
    this.boxHead = this.registerModule('box_head', opts.boxHead);
    this.boxPredictor = this.registerModule('box_predictor', opts.boxPredictor);
    this.boxCoder = new BoxCoder(opts.bboxRegWeights as unknown as BoxCoderWeights);
    this.matcher = new Matcher(opts.fgIouThresh, opts.bgIouThresh, false);
    this.sampler = opts.sampler;
    this.scoreThresh = opts.scoreThresh;
    this.nmsThresh = opts.nmsThresh;
    this.detectionsPerImg = opts.detectionsPerImg;
    this.minSize = opts.minSize ?? 1e-2;
  }

  get numClasses(): number {
    return this.boxPredictor.numClasses;
  }

  /** Pool → box head → predictor for the given boxes (caller disposes the two outputs). */
  boxOutputs(
    features: FeatureMaps,
    boxes: readonly Float32Array[],
    imageSizes: readonly HW[],
  ): BoxPredictions {
    const pooled = this.boxRoiPool.forward(features, boxes, imageSizes);
    const feats = this.boxHead.forward(pooled);
    pooled.dispose();
    const out = this.boxPredictor.forward(feats);
    feats.dispose();
    return out;
  }

  /**
   * Detections per image in the (resized) image coordinates of `imageSizes`. The predictor's outputs are read
   * synchronously where the backend allows, awaited where it does not.
   */
  async predict(
    features: FeatureMaps,
    proposals: readonly Float32Array[],
    imageSizes: readonly HW[],
  ): Promise<Detections[]> {
    const { classLogits, boxRegression } = this.boxOutputs(features, proposals, imageSizes);
    try {
      const [logits, regression] = await readTensors([classLogits, boxRegression]);
      return this.postprocess(logits as Float32Array, regression as Float32Array, proposals, imageSizes);
    } finally {
      tf.dispose([classLogits, boxRegression]);
    }
  }

  private postprocess(
    classLogits: Float32Array,
    boxRegression: Float32Array,
    proposals: readonly Float32Array[],
    imageSizes: readonly HW[],
  ): Detections[] {
    return postprocessDetections(classLogits, boxRegression, proposals, imageSizes, this.numClasses, {
      scoreThresh: this.scoreThresh,
      nmsThresh: this.nmsThresh,
      detectionsPerImg: this.detectionsPerImg,
      bboxRegWeights: this.boxCoder.weights,
      minBoxSize: this.minSize,
    });
  }

  /** torchvision `select_training_samples` + box head + `fastrcnn_loss` (scalars the caller disposes). */
  computeLosses(
    features: FeatureMaps,
    proposals: readonly Float32Array[],
    imageSizes: readonly HW[],
    targets: readonly TargetBoxes[],
  ): RoiHeadsLosses {
    return this.lossesForSamples(features, this.selectTrainingSamples(proposals, targets), imageSizes);
  }

  /** Box head + `fastrcnn_loss` on RoIs already sampled by {@link selectTrainingSamples} (scalars the caller disposes). */
  lossesForSamples(
    features: FeatureMaps,
    samples: RoiTrainingSamples,
    imageSizes: readonly HW[],
  ): RoiHeadsLosses {
    const { classLogits, boxRegression } = this.boxOutputs(features, samples.proposals, imageSizes);
    try {
      return fastrcnnLoss(classLogits, boxRegression, samples.labels, samples.regressionTargets);
    } finally {
      tf.dispose([classLogits, boxRegression]);
    }
  }

  /**
   * torchvision `select_training_samples`: per image, proposals ++ GT boxes, matched to GT, labelled
   * (0 background, −1 ignored), sampled (ascending index order, like `torch.where(pos | neg)`), with
   * regression targets for every sampled RoI.
   */
  selectTrainingSamples(
    proposals: readonly Float32Array[],
    targets: readonly TargetBoxes[],
  ): RoiTrainingSamples {
    if (targets.length !== proposals.length) {
      throw new Error(`RoIHeads: ${targets.length} targets for ${proposals.length} images`);
    }
    const withGt = proposals.map((p, i) => concatBoxes(p, targets[i].boxes));
    const labels: Int32Array[] = [];
    const matchedIdx: Int32Array[] = [];
    withGt.forEach((props, i) => {
      const gt = targets[i];
      const n = props.length / 4;
      const g = gt.boxes.length / 4;
      if (g === 0) {
        labels.push(new Int32Array(n));
        matchedIdx.push(new Int32Array(n));
        return;
      }
      const m = this.matcher.match(boxIou(gt.boxes, props), g, n);
      const l = new Int32Array(n);
      const clamped = new Int32Array(n);
      for (let j = 0; j < n; j++) {
        clamped[j] = Math.max(m[j], 0);
        l[j] = m[j] === BELOW_LOW_THRESHOLD ? 0 : m[j] === BETWEEN_THRESHOLDS ? -1 : gt.labels[clamped[j]];
      }
      labels.push(l);
      matchedIdx.push(clamped);
    });
    const [pos, neg] = this.sampler.sample(labels);
    const outProps: Float32Array[] = [];
    const outLabels: number[] = [];
    const outTargets: Float32Array[] = [];
    withGt.forEach((props, i) => {
      const sampled: number[] = [];
      for (let j = 0; j < pos[i].length; j++) if (pos[i][j] || neg[i][j]) sampled.push(j);
      const sp = selectBoxes(props, sampled);
      const gtBoxes = targets[i].boxes.length ? targets[i].boxes : new Float32Array(4);
      const matchedGt = selectBoxes(
        gtBoxes,
        sampled.map((j) => matchedIdx[i][j]),
      );
      outProps.push(sp);
      for (const j of sampled) outLabels.push(labels[i][j]);
      outTargets.push(this.boxCoder.encode(matchedGt, sp));
    });
    const regressionTargets = new Float32Array(outTargets.reduce((n, t) => n + t.length, 0));
    let off = 0;
    for (const t of outTargets) {
      regressionTargets.set(t, off);
      off += t.length;
    }
    return { proposals: outProps, labels: Int32Array.from(outLabels), regressionTargets };
  }
}

/**
 * torchvision `fastrcnn_loss`: `loss_classifier` = mean cross entropy over all R sampled RoIs;
 * `loss_box_reg` = Σ smooth-L1(β = 1/9) of the positives' deltas for their label / R.
 * @param classLogits [R, K]. @param boxRegression [R, 4K]. @param labels [R] (0 = background).
 * @param regressionTargets [R, 4] flat.
 */
export function fastrcnnLoss(
  classLogits: tf.Tensor2D,
  boxRegression: tf.Tensor2D,
  labels: Int32Array,
  regressionTargets: Float32Array,
): RoiHeadsLosses {
  const [r, k] = classLogits.shape;
  if (labels.length !== r) throw new Error(`fastrcnnLoss: ${labels.length} labels for ${r} RoIs`);
  const oneHot = new Float32Array(r * k);
  const posMask = new Float32Array(r * k);
  const dense = new Float32Array(r * k * 4);
  labels.forEach((l, i) => {
    oneHot[i * k + l] = 1;
    if (l > 0) {
      posMask[i * k + l] = 1;
      dense.set(regressionTargets.subarray(4 * i, 4 * i + 4), 4 * (i * k + l));
    }
  });
  const denom = Math.max(r, 1);
  return tf.tidy(() => {
    const ce = crossEntropySum(classLogits, tf.tensor2d(oneHot, [r, k]));
    const box = smoothL1LossSum(
      tf.reshape(boxRegression, [r, k, 4]),
      tf.tensor3d(dense, [r, k, 4]),
      tf.tensor3d(posMask, [r, k, 1]),
      1 / 9,
    );
    return { loss_classifier: tf.div(ce, denom) as tf.Scalar, loss_box_reg: tf.div(box, denom) as tf.Scalar };
  });
}

function concatBoxes(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
