/**
 * MultiScaleRoIAlign like torchvision's `ops.MultiScaleRoIAlign`: each RoI is pooled from one pyramid level
 * chosen by the FPN paper's Eqn. 1 (`LevelMapper`: `floor(4 + log2(sqrt(area)/224) + 1e-6)` clamped to
 * `[kMin, kMax]`), results in the original RoI order (image 0's boxes first).
 *
 * Level scales are inferred like torchvision's `_infer_scale`: `2^round(log2(featureHeight / maxImageHeight))`
 * over the batch's (unpadded) image sizes, and `kMin`/`kMax` from the first/last scale. torchvision caches the
 * scales from its first call; this class recomputes them per call (identical unless sizes change between calls
 * so much that the rounded log2 changes). With one level no mapping happens (the paper's C4 head).
 * All levels are pooled by one differentiable {@link weightedGather}.
 *
 * @example
 * const pooler = new MultiScaleRoIAlign({ outputSize: 7, samplingRatio: 2 });
 * // features: FPN '0'..'3' as NHWC tensors; proposals: per image [R_i, 4] xyxy; imageSizes: [h, w] after resize
 * const x = pooler.forward([p2, p3, p4, p5], proposals, imageSizes); // [sum R_i, 7, 7, 256]
 */
import * as tf from '@tensorflow/tfjs-core';
import { boxArea } from './box-ops';
import { roundHalfEven } from './anchor-generator';
import { pairSize, roiAlignPlan } from './roi-align';
import { GatherPlan, LevelGatherPlan, weightedGather } from './weighted-gather';

const f = Math.fround;

/** FPN Eqn. 1 level assignment (torchvision `LevelMapper`), float32 arithmetic. */
export class LevelMapper {
  constructor(
    readonly kMin: number,
    readonly kMax: number,
    readonly canonicalScale = 224,
    readonly canonicalLevel = 4,
    readonly eps = 1e-6,
  ) {}

  /** @param boxes per image `[R_i, 4]` xyxy. @returns `[sum R_i]` level index in `[0, kMax - kMin]`. */
  map(boxes: readonly Float32Array[]): Int32Array {
    const out: number[] = [];
    const eps = f(this.eps);
    for (const b of boxes) {
      for (const a of boxArea(b)) {
        const s = f(Math.sqrt(a));
        const lvl = Math.floor(f(f(this.canonicalLevel + f(Math.log2(f(s / this.canonicalScale)))) + eps));
        out.push(Math.min(Math.max(lvl, this.kMin), this.kMax) - this.kMin);
      }
    }
    return Int32Array.from(out);
  }
}

/** torchvision `_infer_scale`: `2^round(log2(feature / image))` of the height axis. */
export function inferScale(featureHeight: number, imageHeight: number): number {
  const approx = f(featureHeight / imageHeight);
  return 2 ** roundHalfEven(f(Math.log2(approx)));
}

/** torchvision `_setup_scales`: per-level scales and the level mapper for a batch. */
export function setupScales(
  featureHeights: readonly number[],
  imageSizes: readonly (readonly [number, number])[],
  canonicalScale = 224,
  canonicalLevel = 4,
): { scales: number[]; mapper: LevelMapper } {
  if (imageSizes.length === 0) throw new Error('MultiScaleRoIAlign: imageSizes must not be empty');
  const maxH = Math.max(...imageSizes.map((s) => s[0]));
  const scales = featureHeights.map((h) => inferScale(h, maxH));
  const kMin = Math.trunc(-Math.log2(scales[0]));
  const kMax = Math.trunc(-Math.log2(scales[scales.length - 1]));
  return { scales, mapper: new LevelMapper(kMin, kMax, canonicalScale, canonicalLevel) };
}

export interface MultiScaleRoIAlignOptions {
  outputSize: number | readonly [number, number];
  samplingRatio: number;
  canonicalScale?: number;
  canonicalLevel?: number;
}

export class MultiScaleRoIAlign {
  readonly outputSize: [number, number];
  readonly samplingRatio: number;
  readonly canonicalScale: number;
  readonly canonicalLevel: number;

  constructor(o: MultiScaleRoIAlignOptions) {
    this.outputSize = pairSize(o.outputSize);
    this.samplingRatio = o.samplingRatio;
    this.canonicalScale = o.canonicalScale ?? 224;
    this.canonicalLevel = o.canonicalLevel ?? 4;
  }

  /**
   * @param features pyramid levels, finest first, NHWC `[N, H_l, W_l, C]` (only the pooled levels: FPN '0'..'3').
   * @param boxes per image `[R_i, 4]` xyxy in the resized image's pixels.
   * @param imageSizes per image `[h, w]` after resizing (before padding).
   * @returns `[sum R_i, ph, pw, C]`, differentiable w.r.t. the features.
   */
  forward(
    features: tf.Tensor4D[],
    boxes: readonly Float32Array[],
    imageSizes: readonly (readonly [number, number])[],
  ): tf.Tensor4D {
    if (features.length === 0) throw new Error('MultiScaleRoIAlign: no feature maps given');
    if (boxes.length !== features[0].shape[0]) {
      throw new Error(
        `MultiScaleRoIAlign: ${boxes.length} box lists for a batch of ${features[0].shape[0]} images`,
      );
    }
    const { scales, mapper } = setupScales(
      features.map((x) => x.shape[1]),
      imageSizes,
      this.canonicalScale,
      this.canonicalLevel,
    );
    const rois = toRoiFormat(boxes);
    const numRois = rois.length / 5;
    const levels = features.length === 1 ? new Int32Array(numRois) : mapper.map(boxes);
    const plans: LevelGatherPlan[] = features.map((x, l) => {
      const members: number[] = [];
      for (let r = 0; r < numRois; r++) if (levels[r] === l) members.push(r);
      const sub = new Float32Array(members.length * 5);
      members.forEach((r, i) => sub.set(rois.subarray(5 * r, 5 * r + 5), 5 * i));
      const [n, h, w] = x.shape;
      return roiAlignPlan(
        [n, h, w],
        sub,
        { outputSize: this.outputSize, spatialScale: scales[l], samplingRatio: this.samplingRatio },
        members,
      );
    });
    const [ph, pw] = this.outputSize;
    const plan: GatherPlan = { numRows: numRois * ph * pw, levels: plans };
    const c = features[0].shape[3];
    return tf.tidy(() => tf.reshape(weightedGather(features, plan), [numRois, ph, pw, c]));
  }
}

/** torchvision `_convert_to_roi_format`: per-image boxes → `[R, 5]` `(imageIndex, x1, y1, x2, y2)`. */
export function toRoiFormat(boxes: readonly Float32Array[]): Float32Array {
  const total = boxes.reduce((n, b) => n + b.length / 4, 0);
  const out = new Float32Array(total * 5);
  let r = 0;
  boxes.forEach((b, i) => {
    for (let j = 0; j < b.length; j += 4, r++) {
      out[5 * r] = i;
      out.set(b.subarray(j, j + 4), 5 * r + 1);
    }
  });
  return out;
}
