/**
 * GeneralizedRCNNTransform like torchvision 0.14's: normalise with mean/std, resize each image so its short side
 * is `minSize` unless the long side would exceed `maxSize`, batch with zero padding (bottom/right) to a multiple
 * of `sizeDivisible`, and map boxes between original and resized pixels.
 *
 * Resizing reproduces `_resize_image_and_masks`: `scale = min(minSize/min(h,w), maxSize/max(h,w))` in float32 (see {@link resizedSize}),
 * output `floor(h·scale) × floor(w·scale)` (`recompute_scale_factor=True`), then bilinear sampling with
 * `align_corners=False` at the *recomputed* ratio `in/out` (float32), source `ratio·(i+0.5)-0.5` clamped at 0,
 * width pass then height pass (torch's order). {@link resizeBilinearTorch} does this with two gathers and host
 * weights, so the sampling points are the same on every backend. No float32 formula is bit-exact with torch here:
 * torch's own float kernel is ~7e-7 from exact arithmetic on [0, 1] input. Measured on the transform fixture
 * (normalised noise images): this version is within 6.9e-6 of torch; `tf.image.resizeBilinear(…, false, true)`
 * samples the same points and is within 3.2e-6 on the cpu backend (which computes in double), so either passes the
 * 1e-5 parity tolerance; this one keeps torch's output-size and clamping rules explicit.
 *
 * @example
 * const transform = new GeneralizedRCNNTransform({ minSize: 800, maxSize: 1333 });
 * const { tensors, imageSizes } = transform.forward([img0, img1]); // img: [H, W, 3] float in [0, 1]
 * // tensors: [2, Hp, Wp, 3] (Hp, Wp multiples of 32), imageSizes: [[h0, w0], [h1, w1]] after resize
 * const boxesInOriginalPixels = transform.postprocessBoxes(boxes, imageSizes[0], [origH0, origW0]);
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@resdet/random';
import type { ImageSize } from './box-ops';
import { numBoxes } from './box-ops';

const f = Math.fround;

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

export interface TransformOptions {
  /** Short-side target; a list means a random choice per image in training (the last one in eval). */
  minSize?: number | readonly number[];
  maxSize?: number;
  imageMean?: readonly number[];
  imageStd?: readonly number[];
  sizeDivisible?: number;
}

export interface ImageBatch {
  /** `[N, Hp, Wp, 3]` normalised, resized, zero-padded. */
  tensors: tf.Tensor4D;
  /** Per image `[h, w]` after resizing, before padding. */
  imageSizes: [number, number][];
}

/**
 * torchvision's output size for an `h×w` image: `floor(h·s), floor(w·s)` with the float32 scale
 * `s = min(minSize / min(h, w), maxSize / max(h, w))`. torch evaluates `float / tensor` as
 * `tensor.reciprocal() * float`, so `s = fround(fround(1/min) · minSize)` — this is why 480×640 gives 800×1066
 * while 427×640 gives 799×1199. Each side is at least 1 (torchvision would give 0 for a 2×3000 strip and fail).
 */
export function resizedSize(h: number, w: number, minSize: number, maxSize: number): [number, number] {
  const scale = Math.min(f(f(1 / Math.min(h, w)) * minSize), f(f(1 / Math.max(h, w)) * maxSize));
  // A thin strip (2×3000 → 0.9×1333) would floor to an empty side, where torchvision fails; keep ≥ 1 pixel.
  return [Math.max(1, Math.floor(h * scale)), Math.max(1, Math.floor(w * scale))];
}

/** Per output index along one axis: low/high source indices and weights (torch `compute_source_index_and_lambda`). */
export function linearTaps(
  inSize: number,
  outSize: number,
): { i0: Int32Array; i1: Int32Array; l0: Float32Array; l1: Float32Array } {
  const i0 = new Int32Array(outSize),
    i1 = new Int32Array(outSize);
  const l0 = new Float32Array(outSize),
    l1 = new Float32Array(outSize);
  const ratio = f(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    if (inSize === outSize) {
      i0[o] = i1[o] = o;
      l0[o] = 1;
      continue;
    }
    let src = f(ratio * (o + 0.5) - 0.5);
    if (src < 0) src = 0;
    const lo = Math.trunc(src);
    i0[o] = lo;
    i1[o] = lo + (lo < inSize - 1 ? 1 : 0);
    const lam = Math.min(Math.max(f(src - lo), 0), 1);
    l1[o] = lam;
    l0[o] = f(1 - lam);
  }
  return { i0, i1, l0, l1 };
}

/**
 * Bilinear resize like torch's `interpolate(size=…, mode='bilinear', align_corners=False)` on one NHWC-less
 * image `[H, W, C]` → `[outH, outW, C]`.
 */
export function resizeBilinearTorch(image: tf.Tensor3D, outH: number, outW: number): tf.Tensor3D {
  const [h, w] = image.shape;
  return tf.tidy(() => {
    const x = linearTaps(w, outW);
    const y = linearTaps(h, outH);
    const cols = tf.add(
      tf.mul(tf.gather(image, tf.tensor1d(x.i0, 'int32'), 1), tf.tensor3d(x.l0, [1, outW, 1])),
      tf.mul(tf.gather(image, tf.tensor1d(x.i1, 'int32'), 1), tf.tensor3d(x.l1, [1, outW, 1])),
    );
    return tf.add(
      tf.mul(tf.gather(cols, tf.tensor1d(y.i0, 'int32'), 0), tf.tensor3d(y.l0, [outH, 1, 1])),
      tf.mul(tf.gather(cols, tf.tensor1d(y.i1, 'int32'), 0), tf.tensor3d(y.l1, [outH, 1, 1])),
    ) as tf.Tensor3D;
  });
}

/** torchvision `resize_boxes`: scales xyxy boxes by `new/original` per axis (float32). */
export function resizeBoxes(boxes: Float32Array, originalSize: ImageSize, newSize: ImageSize): Float32Array {
  numBoxes(boxes);
  const rh = f(newSize[0] / originalSize[0]);
  const rw = f(newSize[1] / originalSize[1]);
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i++) out[i] = boxes[i] * (i % 2 === 0 ? rw : rh);
  return out;
}

export class GeneralizedRCNNTransform {
  readonly minSize: number[];
  readonly maxSize: number;
  readonly imageMean: number[];
  readonly imageStd: number[];
  readonly sizeDivisible: number;

  constructor(o: TransformOptions = {}) {
    const min = o.minSize ?? 800;
    this.minSize = typeof min === 'number' ? [min] : [...min];
    this.maxSize = o.maxSize ?? 1333;
    this.imageMean = [...(o.imageMean ?? IMAGENET_MEAN)];
    this.imageStd = [...(o.imageStd ?? IMAGENET_STD)];
    this.sizeDivisible = o.sizeDivisible ?? 32;
    if (this.minSize.length === 0 || this.minSize.some((s) => !(s > 0)) || !(this.maxSize > 0)) {
      throw new Error(
        `GeneralizedRCNNTransform: minSize [${this.minSize}] and maxSize ${this.maxSize} must be positive`,
      );
    }
    if (this.imageMean.length !== this.imageStd.length) {
      throw new Error(
        `GeneralizedRCNNTransform: imageMean has ${this.imageMean.length} values, imageStd ${this.imageStd.length}`,
      );
    }
  }

  /**
   * Normalises, resizes and batches images; in training (`rng` given) the short side is a random choice of
   * `minSize`, otherwise the last one, and `targets` (xyxy boxes per image) are resized along.
   * @param images per image `[H, W, C]` float32 in [0, 1].
   */
  forward(
    images: readonly tf.Tensor3D[],
    targets?: readonly Float32Array[],
    rng?: Rng,
  ): ImageBatch & { targets?: Float32Array[] } {
    if (images.length === 0) throw new Error('GeneralizedRCNNTransform: no images given');
    if (targets && targets.length !== images.length) {
      throw new Error(`GeneralizedRCNNTransform: ${targets.length} targets for ${images.length} images`);
    }
    const imageSizes: [number, number][] = [];
    const resizedTargets: Float32Array[] = [];
    const tensors = tf.tidy(() => {
      const resized = images.map((img, i) => {
        if (img.rank !== 3 || img.shape[2] !== this.imageMean.length) {
          throw new Error(
            `GeneralizedRCNNTransform: image ${i} has shape [${img.shape}], expected [H, W, ${this.imageMean.length}]`,
          );
        }
        const [h, w] = img.shape;
        const min = rng ? this.minSize[rng.int(this.minSize.length)] : this.minSize[this.minSize.length - 1];
        const [oh, ow] = resizedSize(h, w, min, this.maxSize);
        imageSizes.push([oh, ow]);
        if (targets) resizedTargets.push(resizeBoxes(targets[i], [h, w], [oh, ow]));
        return resizeBilinearTorch(this.normalize(img), oh, ow);
      });
      return this.batchImages(resized);
    });
    return targets ? { tensors, imageSizes, targets: resizedTargets } : { tensors, imageSizes };
  }

  /** `(image - mean) / std` per channel. */
  normalize(image: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(
      () => tf.div(tf.sub(image, tf.tensor1d(this.imageMean)), tf.tensor1d(this.imageStd)) as tf.Tensor3D,
    );
  }

  /** Zero-pads images bottom/right to the largest size rounded up to `sizeDivisible`, stacked `[N, Hp, Wp, C]`. */
  batchImages(images: readonly tf.Tensor3D[]): tf.Tensor4D {
    const d = this.sizeDivisible;
    const hp = Math.ceil(Math.max(...images.map((i) => i.shape[0])) / d) * d;
    const wp = Math.ceil(Math.max(...images.map((i) => i.shape[1])) / d) * d;
    return tf.tidy(
      () =>
        tf.stack(
          images.map((i) =>
            tf.pad(i, [
              [0, hp - i.shape[0]],
              [0, wp - i.shape[1]],
              [0, 0],
            ]),
          ),
        ) as tf.Tensor4D,
    );
  }

  /** Maps detections (xyxy in resized pixels) back to the original image (torchvision `postprocess`). */
  postprocessBoxes(boxes: Float32Array, imageSize: ImageSize, originalSize: ImageSize): Float32Array {
    return resizeBoxes(boxes, imageSize, originalSize);
  }
}
