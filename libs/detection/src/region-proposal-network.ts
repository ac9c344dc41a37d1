import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@resdet/nn';
import { readTensors } from '@resdet/runtime';
import { AnchorGenerator } from './anchor-generator';
import type { FgBgSampler } from './balanced-sampler';
import type { BatchShapes, HW } from './batch-shapes';
import type { FeatureMaps } from './fpn';
import { Matcher } from './matcher';
import { filterProposals, Proposals } from './proposal-filter';
import { assignAnchorTargets, RpnLossTargets } from './rpn-anchor-targets';
import { RPNHead, RpnFlatOutputs } from './rpn-head';
import { rpnLosses, RpnLosses } from './rpn-losses';

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
      return this.proposals(out, objectness as Float32Array, deltas as Float32Array, shapes.imageSizes);
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
      const proposals = this.proposals(
        out,
        objectness as Float32Array,
        deltas as Float32Array,
        shapes.imageSizes,
      );
      const targets = this.anchorTargets(out, gtBoxes);
      return { proposals, targets };
    } finally {
      tf.dispose([out.objectness, out.deltas]);
    }
  }

  /** Phase 2 of a two-phase training step: the two RPN losses for targets from {@link proposalsAndTargetsAsync}. */
  lossesFromTargets(shapes: BatchShapes, features: FeatureMaps, targets: RpnLossTargets): RpnLosses {
    const out = this.headOutputs(shapes, features);
    try {
      return rpnLosses(out, targets);
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
      const proposals = this.proposals(
        out,
        out.objectness.dataSync() as Float32Array,
        out.deltas.dataSync() as Float32Array,
        shapes.imageSizes,
      );
      const losses = rpnLosses(out, this.anchorTargets(out, gtBoxes));
      return { proposals, losses };
    } finally {
      tf.dispose([out.objectness, out.deltas]);
    }
  }

  /** Runs the head and lays out its outputs in torchvision's order (the caller disposes the tensors). */
  headOutputs(shapes: BatchShapes, features: FeatureMaps): RpnFlatOutputs {
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

  /** torchvision `filter_proposals` given host copies of `out.objectness` and `out.deltas`. */
  private proposals(
    out: RpnFlatOutputs,
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

  /** The anchors' loss targets for a batch, drawing from the sampler (host only). `gtBoxes[i]` is `[G, 4]` xyxy. */
  private anchorTargets(out: RpnFlatOutputs, gtBoxes: readonly Float32Array[]): RpnLossTargets {
    return assignAnchorTargets(out.anchors, gtBoxes, out.objectness.shape[0], this.matcher, this.sampler);
  }
}
