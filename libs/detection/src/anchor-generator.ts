/**
 * AnchorGenerator: torchvision's `anchor_utils.AnchorGenerator` on host arrays, with a per-shape cache.
 *
 * Cell anchors per level are zero-centred `[-w/2, -h/2, w/2, h/2]` with `h = size·√r`, `w = size/√r`
 * (ratio = height/width), ratio-major then size, **rounded half-to-even** (torch `.round()`), in float32.
 * Strides are `imageSize // featureSize` (integer division, per axis) of the padded batch. Anchors are ordered
 * location-major (row y, then column x), anchor-minor — the order of an NHWC head output `[N, H, W, A·k]`
 * reshaped to `[N, H·W·A, k]` — and levels are concatenated in order.
 *
 * @example
 * const gen = new AnchorGenerator(); // FPN defaults: sizes 32..512, ratios 0.5/1/2
 * const anchors = gen.anchors([800, 1216], [[200, 304], [100, 152], [50, 76], [25, 38], [13, 19]]);
 * // Float32Array, xyxy, [sum(H·W·3), 4] — the same for every image of the batch
 * gen.dispose(); // frees cached device tensors
 */
import * as tf from '@tensorflow/tfjs-core';

const f = Math.fround;

/** torchvision's FPN defaults: `((32,), (64,), (128,), (256,), (512,))`. */
export const DEFAULT_ANCHOR_SIZES: readonly (readonly number[])[] = [[32], [64], [128], [256], [512]];
/** `((0.5, 1.0, 2.0),) * 5`. */
export const DEFAULT_ASPECT_RATIOS: readonly (readonly number[])[] = DEFAULT_ANCHOR_SIZES.map(() => [
  0.5, 1, 2,
]);

/** `[height, width]`. */
export type Size2 = readonly [number, number];

interface CacheEntry {
  perLevel: Float32Array[];
  all: Float32Array;
  tensor: tf.Tensor2D | null;
}

/** torch `round()`: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export class AnchorGenerator {
  readonly sizes: number[][];
  readonly aspectRatios: number[][];
  /** Per level, `[A, 4]` zero-centred rounded anchors (flat). */
  readonly cellAnchors: Float32Array[];
  private readonly cache = new Map<string, CacheEntry>();

  /**
   * @param sizes per level, anchor sizes (sqrt of area) in pixels.
   * @param aspectRatios per level, height/width ratios (a single list is repeated for every level).
   * @param maxCacheEntries distinct (image size, feature sizes) shapes kept; the oldest is evicted.
   */
  constructor(
    sizes: readonly (readonly number[])[] = DEFAULT_ANCHOR_SIZES,
    aspectRatios: readonly (readonly number[])[] = DEFAULT_ASPECT_RATIOS,
    private readonly maxCacheEntries = 16,
  ) {
    const ratios =
      aspectRatios.length === 1 && sizes.length > 1 ? sizes.map(() => aspectRatios[0]) : aspectRatios;
    if (ratios.length !== sizes.length) {
      throw new Error(
        `AnchorGenerator: ${sizes.length} size levels but ${ratios.length} aspect-ratio levels; they must match`,
      );
    }
    this.sizes = sizes.map((s) => [...s]);
    this.aspectRatios = ratios.map((r) => [...r]);
    this.cellAnchors = this.sizes.map((s, i) => AnchorGenerator.generateCellAnchors(s, this.aspectRatios[i]));
  }

  /** torchvision `generate_anchors(scales, aspect_ratios)`: `[R·S, 4]`, ratio-major. */
  static generateCellAnchors(scales: readonly number[], aspectRatios: readonly number[]): Float32Array {
    const out = new Float32Array(scales.length * aspectRatios.length * 4);
    let k = 0;
    for (const r of aspectRatios) {
      const hRatio = f(Math.sqrt(f(r)));
      const wRatio = f(1 / hRatio);
      for (const s of scales) {
        const ws = f(wRatio * f(s));
        const hs = f(hRatio * f(s));
        out[k++] = roundHalfEven(f(-ws / 2));
        out[k++] = roundHalfEven(f(-hs / 2));
        out[k++] = roundHalfEven(f(ws / 2));
        out[k++] = roundHalfEven(f(hs / 2));
      }
    }
    return out;
  }

  /** Anchors per location for each level (`len(sizes) · len(ratios)`). */
  numAnchorsPerLocation(): number[] {
    return this.sizes.map((s, i) => s.length * this.aspectRatios[i].length);
  }

  /** torchvision `grid_anchors`: per level `[H·W·A, 4]`, location-major. */
  gridAnchors(gridSizes: readonly Size2[], strides: readonly Size2[]): Float32Array[] {
    if (gridSizes.length !== this.cellAnchors.length || strides.length !== gridSizes.length) {
      throw new Error(
        `AnchorGenerator: got ${gridSizes.length} feature maps and ${strides.length} strides for ` +
          `${this.cellAnchors.length} anchor levels; they must match`,
      );
    }
    return gridSizes.map(([gh, gw], l) => {
      const base = this.cellAnchors[l];
      const a = base.length / 4;
      const [sh, sw] = strides[l];
      const out = new Float32Array(gh * gw * a * 4);
      let k = 0;
      for (let y = 0; y < gh; y++) {
        const sy = y * sh;
        for (let x = 0; x < gw; x++) {
          const sx = x * sw;
          for (let j = 0; j < a; j++) {
            out[k++] = sx + base[4 * j];
            out[k++] = sy + base[4 * j + 1];
            out[k++] = sx + base[4 * j + 2];
            out[k++] = sy + base[4 * j + 3];
          }
        }
      }
      return out;
    });
  }

  /** Strides of each feature map: `imageSize // featureSize` per axis. */
  static strides(imageSize: Size2, featureSizes: readonly Size2[]): Size2[] {
    return featureSizes.map(
      ([h, w]) => [Math.floor(imageSize[0] / h), Math.floor(imageSize[1] / w)] as const,
    );
  }

  /**
   * All anchors of one image (the same for each image of a batch), levels concatenated.
   * @param imageSize padded batch `[H, W]` (the transform's output tensor size, not each image's own size).
   * @param featureSizes per level `[h, w]` of the NHWC feature maps.
   * @returns cached `Float32Array [sum(h·w·A), 4]` xyxy — do not mutate.
   */
  anchors(imageSize: Size2, featureSizes: readonly Size2[]): Float32Array {
    return this.entry(imageSize, featureSizes).all;
  }

  /** Per-level anchors `[h·w·A, 4]` (cached; do not mutate). */
  anchorsPerLevel(imageSize: Size2, featureSizes: readonly Size2[]): Float32Array[] {
    return this.entry(imageSize, featureSizes).perLevel;
  }

  /** {@link anchors} as a device tensor `[sum(h·w·A), 4]`, owned by this generator (freed by `dispose()`). */
  anchorsTensor(imageSize: Size2, featureSizes: readonly Size2[]): tf.Tensor2D {
    const e = this.entry(imageSize, featureSizes);
    if (!e.tensor) e.tensor = tf.keep(tf.tensor2d(e.all, [e.all.length / 4, 4]));
    return e.tensor;
  }

  /** Frees cached device tensors and clears the cache. */
  dispose(): void {
    for (const e of this.cache.values()) e.tensor?.dispose();
    this.cache.clear();
  }

  private entry(imageSize: Size2, featureSizes: readonly Size2[]): CacheEntry {
    const key = `${imageSize.join('x')}|${featureSizes.map((s) => s.join('x')).join(',')}`;
    let e = this.cache.get(key);
    if (e) return e;
    for (const [h, w] of featureSizes) {
      if (!(h > 0 && w > 0)) throw new Error(`AnchorGenerator: feature size [${h}, ${w}] must be positive`);
    }
    const perLevel = this.gridAnchors(featureSizes, AnchorGenerator.strides(imageSize, featureSizes));
    const all = new Float32Array(perLevel.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of perLevel) {
      all.set(p, off);
      off += p.length;
    }
    e = { perLevel, all, tensor: null };
    if (this.cache.size >= this.maxCacheEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.get(oldest)?.tensor?.dispose();
      this.cache.delete(oldest);
    }
    this.cache.set(key, e);
    return e;
  }
}
