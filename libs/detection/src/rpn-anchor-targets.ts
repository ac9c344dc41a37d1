import type { FgBgSampler } from './balanced-sampler';
import { boxIou, selectBoxes } from './box-ops';
import { BELOW_LOW_THRESHOLD, Matcher } from './matcher';
import { RPN_BOX_CODER } from './rpn-head';

/**
 * Host-side result of torchvision's `assign_targets_to_anchors` + the balanced sample, laid out for the loss
 * (flat over the batch's N·A anchors): what {@link rpnLosses} needs besides the head
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

/**
 * torchvision `assign_targets_to_anchors` + the sampler's draw + `encode` of the positives, on the host.
 * @param anchors [A, 4] xyxy (shared by the batch). @param gtBoxes per image `[G, 4]` xyxy. @param n images.
 */
export function assignAnchorTargets(
  anchors: Float32Array,
  gtBoxes: readonly Float32Array[],
  n: number,
  matcher: Matcher,
  sampler: FgBgSampler,
): RpnLossTargets {
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
      const idx = matcher.match(boxIou(gt, anchors), m, a);
      for (let j = 0; j < a; j++) l[j] = idx[j] >= 0 ? 1 : idx[j] === BELOW_LOW_THRESHOLD ? 0 : -1;
      matched.push(idx);
    }
    labels.push(l);
  }
  const [pos, neg] = sampler.sample(labels);
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
