import type { Rng } from '@resdet/random';
import type { RgbImage } from './image-io';

// Local aliases: used per pixel, and global lookups are slow inside vm contexts (jest).
const { min, max, round } = Math;

/** Mirrors an RGB HWC image left–right into a new image. */
export function hflipImage(img: RgbImage): RgbImage {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    const row = y * W * 3;
    for (let x = 0; x < W; x++) {
      const s = row + x * 3,
        d = row + (W - 1 - x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { data: out, width: W, height: H };
}

/**
 * Mirrors `xyxy` boxes (`[N * 4]`, absolute 0-based pixel edges) of an image `width` wide, as torchvision's
 * reference `RandomHorizontalFlip`: `x1' = width - x2`, `x2' = width - x1`. Returns a new array.
 */
export function hflipBoxes(boxes: Float32Array, width: number): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    out[i] = width - boxes[i + 2];
    out[i + 1] = boxes[i + 1];
    out[i + 2] = width - boxes[i];
    out[i + 3] = boxes[i + 3];
  }
  return out;
}

/** Scales `xyxy` boxes by `sx` horizontally and `sy` vertically (after an image resize). Returns a new array. */
export function scaleBoxes(boxes: Float32Array, sx: number, sy: number): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    out[i] = boxes[i] * sx;
    out[i + 1] = boxes[i + 1] * sy;
    out[i + 2] = boxes[i + 2] * sx;
    out[i + 3] = boxes[i + 3] * sy;
  }
  return out;
}

/**
 * Multi-scale training: the short side the model should resize this image to, one of `sizes` uniformly
 * (torchvision's `GeneralizedRCNNTransform` does `random.choice(min_size)` per image in training). Only the
 * choice is made here; the resize itself is bilinear on tensors in the detection transform.
 */
export function chooseShortSide(rng: Rng, sizes: readonly number[]): number {
  if (sizes.length === 0) throw new RangeError('chooseShortSide: sizes must not be empty');
  return sizes[rng.int(sizes.length)];
}

/** Strength of each photometric change: a factor drawn uniformly from `[1 - s, 1 + s]` (as torchvision's ColorJitter). */
export interface JitterOptions {
  brightness: number;
  contrast: number;
  saturation: number;
}

export const DEFAULT_JITTER: Readonly<JitterOptions> = Object.freeze({
  brightness: 0.2,
  contrast: 0.2,
  saturation: 0.2,
});

/**
 * Photometric jitter in the manner of torchvision's `ColorJitter` (without hue), in a random order:
 * brightness scales the pixels; contrast blends with the mean grey level of the image; saturation blends with
 * each pixel's grey value (`0.299 R + 0.587 G + 0.114 B`). Results are rounded and clamped to uint8. Boxes are
 * unaffected. Returns a new image.
 */
export function photometricJitter(img: RgbImage, rng: Rng, opts: JitterOptions = DEFAULT_JITTER): RgbImage {
  const f = (s: number) => (s > 0 ? rng.range(1 - s, 1 + s) : 1);
  const factors = {
    brightness: f(opts.brightness),
    contrast: f(opts.contrast),
    saturation: f(opts.saturation),
  };
  const order = rng.permutation(3);
  const px = Float32Array.from(img.data);
  const n = img.width * img.height;
  for (const op of order) {
    if (op === 0) {
      for (let i = 0; i < px.length; i++) px[i] = min(255, max(0, px[i] * factors.brightness));
    } else if (op === 1) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += 0.299 * px[3 * i] + 0.587 * px[3 * i + 1] + 0.114 * px[3 * i + 2];
      mean /= n;
      for (let i = 0; i < px.length; i++) px[i] = min(255, max(0, (px[i] - mean) * factors.contrast + mean));
    } else {
      for (let i = 0; i < n; i++) {
        const g = 0.299 * px[3 * i] + 0.587 * px[3 * i + 1] + 0.114 * px[3 * i + 2];
        for (let k = 0; k < 3; k++)
          px[3 * i + k] = min(255, max(0, (px[3 * i + k] - g) * factors.saturation + g));
      }
    }
  }
  const out = new Uint8Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = round(px[i]);
  return { data: out, width: img.width, height: img.height };
}

/** What {@link augment} does to a training sample. */
export interface AugmentOptions {
  /** Probability of a horizontal flip; default 0.5. */
  hflipProb?: number;
  /** Short sides to choose from for multi-scale training; unset = no choice (the model's own min size). */
  shortSides?: readonly number[];
  /** Photometric jitter; unset or `false` = none. */
  jitter?: JitterOptions | false;
}

export interface AugmentedSample {
  image: RgbImage;
  /** `[N * 4]` `xyxy` absolute pixels of `image`. */
  boxes: Float32Array;
  flipped: boolean;
  /** The chosen short side, when `shortSides` was given. */
  shortSide?: number;
}

/**
 * Applies the training augmentations to one image and its boxes: flip (boxes follow), photometric jitter,
 * short-side choice. Draws from `rng` in a fixed order, so a seed gives the same result.
 *
 * @example
 * const out = augment(image, boxes, new Rng(1), { hflipProb: 0.5, shortSides: [480, 512, 544], jitter: DEFAULT_JITTER });
 */
export function augment(
  image: RgbImage,
  boxes: Float32Array,
  rng: Rng,
  opts: AugmentOptions,
): AugmentedSample {
  const flipped = rng.uniform() < (opts.hflipProb ?? 0.5);
  let img = flipped ? hflipImage(image) : image;
  const outBoxes = flipped ? hflipBoxes(boxes, image.width) : boxes;
  if (opts.jitter) img = photometricJitter(img, rng, opts.jitter);
  const shortSide = opts.shortSides ? chooseShortSide(rng, opts.shortSides) : undefined;
  return { image: img, boxes: outBoxes, flipped, shortSide };
}
