import { clipBoxesToImage, removeSmallBoxes, selectBoxes } from './box-ops';
import type { HW } from './batch-shapes';
import { argsortDescending, batchedNms } from './nms';
import { RPN_BOX_CODER } from './rpn-head';

/** Per image: proposals `[P, 4]` xyxy (flat, resized-image pixels) and their objectness probabilities `[P]`. */
export interface Proposals {
  boxes: Float32Array[];
  scores: Float32Array[];
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
    const keep = batchedNms(boxes, scores, levels, p.nmsThresh, p.postNmsTopN);
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
