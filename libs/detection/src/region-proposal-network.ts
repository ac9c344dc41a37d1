import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@resdet/nn';
import { readTensors } from '@resdet/runtime';
import { AnchorGenerator } from './anchor-generator';
import { BoxCoder } from './box-coder';
import { boxIou, clipBoxesToImage, removeSmallBoxes, selectBoxes } from './box-ops';
import type { FeatureMaps } from './fpn';
import { binaryCrossEntropyWithLogitsSum, smoothL1LossSum } from './losses';
import { BELOW_LOW_THRESHOLD, Matcher } from './matcher';
import { argsortDescending, batchedNms } from './nms';
import { RPNHead } from './rpn-head';

/** `[height, width]` in pixels. */
export type HW = readonly [number, number];

/** Sizes the RPN and RoI heads need from the transformed batch. */
export interface BatchShapes {
  /** The padded batch tensor's `[H, W]` (anchors are laid on this grid). */
  batchSize: HW;
  /** Each image's size after resizing, before padding (boxes are clipped to it). */
  imageSizes: readonly HW[];
}

/** Picks positives/negatives from per-image labels (≥1 pos, 0 neg, <0 ignore); see BalancedPositiveNegativeSampler. */
export interface FgBgSampler {
  sample(labels: ArrayLike<number>[]): [Uint8Array[], Uint8Array[]];
}

/** Per image: proposals `[P, 4]` xyxy (flat, resized-image pixels) and their objectness probabilities `[P]`. */
export interface Proposals {
  boxes: Float32Array[];
  scores: Float32Array[];
}

export interface RpnLosses {
  loss_objectness: tf.Scalar;
  loss_rpn_box_reg: tf.Scalar;
}

/**
 * Host-side result of torchvision's `assign_targets_to_anchors` + the balanced sample, laid out for the loss
 * (flat over the batch's N·A anchors): what {@link RegionProposalNetwork.lossFromTargets} needs besides the head
 * outputs. Nothing in it depends on the head's outputs, only on anchors, GT boxes and the sampler's draws.
 */
export interface RpnLossTargets {
  /** [N·A] 1 for sampled anchors (positives and negatives). */
  objWeight: Float32Array;
  /** [N·A] 1 for sampled positives. */
  objLabel: Float32Array;
  /** [N·A] 1 for sampled positives (the box-loss mask). */
  posWeight: Float32Array;
  /** [N·A, 4] encoded regression targets of the positives (0 elsewhere). */
  targets: Float32Array;
  /** Number of sampled anchors, at least 1 (the losses' divisor). */
  denom: number;
}

/** Values that differ between training and testing (torchvision's `dict(training=…, testing=…)`). */
export interface TrainTest {
  training: number;
  testing: number;
}

export interface RegionProposalNetworkOptions {
  anchorGenerator: AnchorGenerator;
  head: RPNHead;
  fgIouThresh: number;
  bgIouThresh: number;
  sampler: FgBgSampler;
  preNmsTopN: TrainTest;
  postNmsTopN: TrainTest;
  nmsThresh: number;
  /** Default 0 (`score_thresh`). */
  scoreThresh?: number;
  /** Default 1e-3 (`RegionProposalNetwork.min_size`). */
  minSize?: number;
}

/** Device outputs of the RPN head for a batch, flattened in torchvision's order (level, location, anchor). */
export interface RpnHeadOutputs {
  /** [N, A] logits, A = Σ Hₗ·Wₗ·anchorsPerLocation. */
  objectness: tf.Tensor2D;
  /** [N, A, 4] deltas (dx, dy, dw, dh) with weights (1, 1, 1, 1). */
  deltas: tf.Tensor3D;
  /** [A, 4] xyxy anchors (shared by every image; owned by the anchor generator's cache — do not mutate). */
  anchors: Float32Array;
  numAnchorsPerLevel: number[];
}

const RPN_BOX_CODER = new BoxCoder([1, 1, 1, 1]);

/**
 * torchvision's `RegionProposalNetwork`: the RPN head on every feature level, anchors, and proposal filtering —
 * per-level pre-NMS top-n on the logits, decode, clip to the image, drop boxes smaller than `minSize`, score
 * threshold, NMS per level (batched NMS with the level as category), post-NMS top-n. In training it also returns
 * the RPN losses: anchors matched to GT (fg 0.7 / bg 0.3 with low-quality matches), a balanced sample, BCE
 * objectness over the sample and smooth-L1 (β = 1/9) on the positives' deltas, both divided by the sample size.
 * Proposals are plain host arrays: nothing flows back through them (torchvision detaches them too).
 * The head is registered as `head`, so parameters read `rpn.head.conv.0.0.weight` under a detector.
 *
 * @example
 * const rpn = new RegionProposalNetwork({ anchorGenerator: new AnchorGenerator(), head: new RPNHead(256, 3),
 *   fgIouThresh: 0.7, bgIouThresh: 0.3, sampler: new BalancedPositiveNegativeSampler(256, 0.5, rng),
 *   preNmsTopN: { training: 2000, testing: 1000 }, postNmsTopN: { training: 2000, testing: 1000 }, nmsThresh: 0.7 });
 * const { boxes, scores } = rpn.eval().forward(shapes, fpnFeatures);
 */
export class RegionProposalNetwork extends Module {
  readonly head: RPNHead;
  readonly anchorGenerator: AnchorGenerator;
  readonly matcher: Matcher;
  readonly sampler: FgBgSampler;
  readonly preNmsTopN: TrainTest;
  readonly postNmsTopN: TrainTest;
  readonly nmsThresh: number;
  readonly scoreThresh: number;
  readonly minSize: number;

  constructor(opts: RegionProposalNetworkOptions) {
    super();
    this.head = this.registerModule('head', opts.head);
    this.anchorGenerator = opts.anchorGenerator;
    const perLoc = opts.anchorGenerator.numAnchorsPerLocation();
    if (perLoc.some((a) => a !== opts.head.numAnchors)) {
      throw new Error(
        `RegionProposalNetwork: the anchor generator gives [${perLoc}] anchors per location, the RPN head predicts ${opts.head.numAnchors}`,
      );
    }
    this.matcher = new Matcher(opts.fgIouThresh, opts.bgIouThresh, true);
    this.sampler = opts.sampler;
    this.preNmsTopN = { ...opts.preNmsTopN };
    this.postNmsTopN = { ...opts.postNmsTopN };
    this.nmsThresh = opts.nmsThresh;
    this.scoreThresh = opts.scoreThresh ?? 0;
    this.minSize = opts.minSize ?? 1e-3;
  }

  /**
   * Proposals for a batch (train or test top-n by the module's mode). The head outputs are read synchronously
   * where the backend allows, awaited where it does not.
   */
  async forward(shapes: BatchShapes, features: FeatureMaps): Promise<Proposals> {
    const out = this.headOutputs(shapes, features);
    try {
      const [objectness, deltas] = await readTensors([out.objectness, out.deltas]);
      return this.filterHostProposals(
        out,
        objectness as Float32Array,
        deltas as Float32Array,
        shapes.imageSizes,
      );
    } finally {
      tf.dispose([out.objectness, out.deltas]);
    }
  }

  /**
   * Phase 1 of a two-phase training step (see `GeneralizedRCNN.prepareTrainingStep`): proposals (read with
   * `await data()`) and the anchors' loss targets, drawing from the sampler exactly as
   * {@link forwardWithLosses} does. No tensors are returned; nothing needs a gradient tape.
   */
  async proposalsAndTargetsAsync(
    shapes: BatchShapes,
    features: FeatureMaps,
    gtBoxes: readonly Float32Array[],
  ): Promise<{ proposals: Proposals; targets: RpnLossTargets }> {
    const out = this.headOutputs(shapes, features);
    try {
      const [objectness, deltas] = await readTensors([out.objectness, out.deltas]);
      const proposals = this.filterHostProposals(
        out,
        objectness as Float32Array,
        deltas as Float32Array,
        shapes.imageSizes,
      );
      const targets = this.assignTargets(out.anchors, gtBoxes, out.objectness.shape[0]);
      return { proposals, targets };
    } finally {
      tf.dispose([out.objectness, out.deltas]);
    }
  }

  /** Phase 2 of a two-phase training step: the two RPN losses for targets from {@link proposalsAndTargetsAsync}. */
  lossesFromTargets(shapes: BatchShapes, features: FeatureMaps, targets: RpnLossTargets): RpnLosses {
    const out = this.headOutputs(shapes, features);
    try {
      return this.lossFromTargets(out, targets);
    } finally {
      tf.dispose([out.objectness, out.deltas]);
    }
  }

  /** Proposals and the two RPN losses (scalars the caller disposes). `gtBoxes[i]` is `[G, 4]` xyxy, resized pixels. */
  forwardWithLosses(
    shapes: BatchShapes,
    features: FeatureMaps,
    gtBoxes: readonly Float32Array[],
  ): { proposals: Proposals; losses: RpnLosses } {
    const out = this.headOutputs(shapes, features);
    try {
      const proposals = this.filterProposals(out, shapes.imageSizes);
      const losses = this.computeLoss(out, gtBoxes);
      return { proposals, losses };
    } finally {
      tf.dispose([out.objectness, out.deltas]);
    }
  }

  /** Runs the head and lays out its outputs in torchvision's order (the caller disposes the tensors). */
  headOutputs(shapes: BatchShapes, features: FeatureMaps): RpnHeadOutputs {
    const maps = [...features.values()];
    const { objectness, deltas } = this.head.forward(maps);
    const featureSizes = maps.map((m) => [m.shape[1], m.shape[2]] as const);
    const numAnchorsPerLevel = objectness.map((o) => o.shape[1] * o.shape[2] * o.shape[3]);
    const n = maps[0].shape[0];
    const flat = tf.tidy(() => ({
      objectness: tf.concat(
        objectness.map((o, l) => tf.reshape(o, [n, numAnchorsPerLevel[l]])),
        1,
      ) as tf.Tensor2D,
      deltas: tf.concat(
        deltas.map((d, l) => tf.reshape(d, [n, numAnchorsPerLevel[l], 4])),
        1,
      ) as tf.Tensor3D,
    }));
    tf.dispose([...objectness, ...deltas]);
    const anchors = this.anchorGenerator.anchors(shapes.batchSize, featureSizes);
    return { ...flat, anchors, numAnchorsPerLevel };
  }

  /** torchvision `filter_proposals` on host copies of the head outputs (read with `dataSync`). */
  filterProposals(out: RpnHeadOutputs, imageSizes: readonly HW[]): Proposals {
    return this.filterHostProposals(
      out,
      out.objectness.dataSync() as Float32Array,
      out.deltas.dataSync() as Float32Array,
      imageSizes,
    );
  }

  /** torchvision `filter_proposals` given host copies of `out.objectness` and `out.deltas`. */
  private filterHostProposals(
    out: RpnHeadOutputs,
    objectness: Float32Array,
    deltas: Float32Array,
    imageSizes: readonly HW[],
  ): Proposals {
    return filterProposals({
      objectness,
      deltas,
      anchors: out.anchors,
      numAnchorsPerLevel: out.numAnchorsPerLevel,
      imageSizes,
      preNmsTopN: this.training ? this.preNmsTopN.training : this.preNmsTopN.testing,
      postNmsTopN: this.training ? this.postNmsTopN.training : this.postNmsTopN.testing,
      nmsThresh: this.nmsThresh,
      scoreThresh: this.scoreThresh,
      minSize: this.minSize,
    });
  }

  /**
   * torchvision `assign_targets_to_anchors` + `compute_loss`: returns scalars (gradients flow to the head's
   * objectness and deltas).
   */
  computeLoss(out: RpnHeadOutputs, gtBoxes: readonly Float32Array[]): RpnLosses {
    return this.lossFromTargets(out, this.assignTargets(out.anchors, gtBoxes, out.objectness.shape[0]));
  }

  /**
   * torchvision `assign_targets_to_anchors` + the sampler's draw + `encode` of the positives, on the host.
   * @param anchors [A, 4] xyxy (shared by the batch). @param gtBoxes per image `[G, 4]` xyxy. @param n images.
   */
  assignTargets(anchors: Float32Array, gtBoxes: readonly Float32Array[], n: number): RpnLossTargets {
    const a = anchors.length / 4;
    if (gtBoxes.length !== n)
      throw new Error(`RegionProposalNetwork: ${gtBoxes.length} targets for ${n} images`);
    const labels: Float32Array[] = [];
    const matched: Int32Array[] = [];
    for (const gt of gtBoxes) {
      const m = gt.length / 4;
      const l = new Float32Array(a);
      if (m === 0) {
        matched.push(new Int32Array(a).fill(BELOW_LOW_THRESHOLD));
      } else {
        const idx = this.matcher.match(boxIou(gt, anchors), m, a);
        for (let j = 0; j < a; j++) l[j] = idx[j] >= 0 ? 1 : idx[j] === BELOW_LOW_THRESHOLD ? 0 : -1;
        matched.push(idx);
      }
      labels.push(l);
    }
    const [pos, neg] = this.sampler.sample(labels);
    const objWeight = new Float32Array(n * a);
    const objLabel = new Float32Array(n * a);
    const posWeight = new Float32Array(n * a);
    const targets = new Float32Array(n * a * 4);
    let numSampled = 0;
    for (let i = 0; i < n; i++) {
      const posIdx: number[] = [];
      for (let j = 0; j < a; j++) {
        if (pos[i][j] || neg[i][j]) {
          objWeight[i * a + j] = 1;
          numSampled++;
        }
        if (pos[i][j]) {
          objLabel[i * a + j] = 1;
          posWeight[i * a + j] = 1;
          posIdx.push(j);
        }
      }
      if (posIdx.length) {
        const gtIdx = posIdx.map((j) => matched[i][j]);
        const enc = RPN_BOX_CODER.encode(selectBoxes(gtBoxes[i], gtIdx), selectBoxes(anchors, posIdx));
        posIdx.forEach((j, k) => targets.set(enc.subarray(4 * k, 4 * k + 4), 4 * (i * a + j)));
      }
    }
    return { objWeight, objLabel, posWeight, targets, denom: Math.max(numSampled, 1) };
  }

  /** torchvision `compute_loss` given host targets: BCE over the sample and smooth-L1 (β = 1/9) of the positives. */
  lossFromTargets(out: RpnHeadOutputs, t: RpnLossTargets): RpnLosses {
    const n = out.objectness.shape[0];
    const a = out.anchors.length / 4;
    if (t.objWeight.length !== n * a) {
      throw new Error(
        `RegionProposalNetwork: loss targets cover ${t.objWeight.length} anchors, the head gave ${n} × ${a}`,
      );
    }
    const { objLabel, objWeight, posWeight, targets, denom } = t;
    return tf.tidy(() => {
      const objLoss = binaryCrossEntropyWithLogitsSum(
        tf.reshape(out.objectness, [n * a]),
        tf.tensor1d(objLabel),
        tf.tensor1d(objWeight),
      );
      const boxLoss = smoothL1LossSum(
        tf.reshape(out.deltas, [n * a, 4]),
        tf.tensor2d(targets, [n * a, 4]),
        tf.tensor2d(posWeight, [n * a, 1]),
        1 / 9,
      );
      return {
        loss_objectness: tf.div(objLoss, denom) as tf.Scalar,
        loss_rpn_box_reg: tf.div(boxLoss, denom) as tf.Scalar,
      };
    });
  }
}

export interface FilterProposalsInput {
  /** [N, A] logits (flat). */
  objectness: Float32Array;
  /** [N, A, 4] deltas (flat). */
  deltas: Float32Array;
  /** [A, 4] xyxy anchors. */
  anchors: Float32Array;
  numAnchorsPerLevel: readonly number[];
  imageSizes: readonly HW[];
  preNmsTopN: number;
  postNmsTopN: number;
  nmsThresh: number;
  scoreThresh: number;
  minSize: number;
}

/**
 * torchvision `RegionProposalNetwork.filter_proposals` (with the decode of `forward` applied only to the boxes
 * that survive the top-n — decoding is per box, so the result is the same): per image and level, the top
 * `preNmsTopN` logits (descending, stable); sigmoid; clip; remove small; score ≥ thresh; NMS per level; top
 * `postNmsTopN` by score.
 */
export function filterProposals(p: FilterProposalsInput): Proposals {
  const a = p.anchors.length / 4;
  const n = p.imageSizes.length;
  if (p.objectness.length !== n * a) {
    throw new Error(
      `filterProposals: objectness has ${p.objectness.length} values for ${n} images × ${a} anchors`,
    );
  }
  const boxesOut: Float32Array[] = [];
  const scoresOut: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const logits = p.objectness.subarray(i * a, (i + 1) * a);
    const sel: number[] = [];
    const lvl: number[] = [];
    let off = 0;
    p.numAnchorsPerLevel.forEach((count, l) => {
      for (const j of topKDescending(logits, off, count, p.preNmsTopN)) {
        sel.push(j);
        lvl.push(l);
      }
      off += count;
    });
    const codes = selectBoxes(p.deltas.subarray(i * a * 4, (i + 1) * a * 4), sel);
    const decoded = RPN_BOX_CODER.decode(codes, selectBoxes(p.anchors, sel));
    let boxes = clipBoxesToImage(decoded, p.imageSizes[i]);
    let scores = Float32Array.from(sel, (j) => sigmoid(logits[j]));
    let levels = Int32Array.from(lvl);

    const keepSmall = removeSmallBoxes(boxes, p.minSize);
    [boxes, scores, levels] = [
      selectBoxes(boxes, keepSmall),
      pick(scores, keepSmall),
      pick(levels, keepSmall),
    ];
    const keepScore = Int32Array.from(scores.keys()).filter((j) => scores[j] >= p.scoreThresh);
    [boxes, scores, levels] = [
      selectBoxes(boxes, keepScore),
      pick(scores, keepScore),
      pick(levels, keepScore),
    ];
    const keep = batchedNms(boxes, scores, levels, p.nmsThresh).subarray(0, p.postNmsTopN);
    boxesOut.push(selectBoxes(boxes, keep));
    scoresOut.push(pick(scores, keep));
  }
  return { boxes: boxesOut, scores: scoresOut };
}

/**
 * Indices (into `values`) of the `k` largest of `values[start .. start+count)`, by value descending; among equal
 * values the lower index first (torch's `topk` leaves that order unspecified). The threshold comes from a native
 * typed-array sort, so only the k winners are sorted with a comparator.
 */
export function topKDescending(values: Float32Array, start: number, count: number, k: number): Int32Array {
  const slice = values.subarray(start, start + count);
  if (k >= count) return argsortDescending(slice).map((i) => i + start);
  const sorted = Float32Array.from(slice).sort();
  const threshold = sorted[count - k];
  let above = 0;
  for (let i = count - k; i < count; i++) if (sorted[i] > threshold) above++;
  let ties = k - above;
  const picked: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = slice[i];
    if (v > threshold) picked.push(i);
    else if (v === threshold && ties > 0) {
      picked.push(i);
      ties--;
    }
  }
  return argsortDescending(slice, picked).map((i) => i + start);
}

/** Logistic sigmoid in float32 steps, as torch's CPU kernel: `1 / (1 + exp(−x))`. */
export function sigmoid(x: number): number {
  const f = Math.fround;
  return f(1 / f(1 + f(Math.exp(-x))));
}

function pick<T extends Float32Array | Int32Array>(a: T, idx: ArrayLike<number>): T {
  const out = new (a.constructor as { new (n: number): T })(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = a[idx[k]];
  return out;
}
