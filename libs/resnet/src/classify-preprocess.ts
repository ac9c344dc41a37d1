import * as tf from '@tensorflow/tfjs-core';

/** ImageNet normalisation used by torchvision's classification weights. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** An 8-bit RGB image: `data` is HWC row-major (what @resdet/data's readImage returns). */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ClassifyPreprocessOptions {
  /** Short side after resizing (torchvision `Resize(256)`). Default 256. */
  resize?: number;
  /** Centre crop size (torchvision `CenterCrop(224)`). Default 224. */
  crop?: number;
}

/**
 * torchvision's classification preprocessing on one image → x [1, crop, crop, 3] float32, normalised
 * with ImageNet mean/std. An image that is already crop×crop is used as it is (no resampling);
 * otherwise the short side is resized to `resize` (long side `floor(resize·long/short)`, as
 * torchvision) with bilinear interpolation on float tensors (half-pixel centres, like
 * `F.interpolate(..., align_corners=False)` without antialiasing), then centre-cropped with
 * torchvision's `round((size − crop)/2)` offsets.
 *
 * @example
 * const x = preprocessForClassification(await readImage('cat.jpg'), { resize: 256, crop: 224 });
 */
export function preprocessForClassification(
  img: RgbPixels,
  opts: ClassifyPreprocessOptions = {},
): tf.Tensor4D {
  const resize = opts.resize ?? 256;
  const crop = opts.crop ?? 224;
  const { width: w, height: h } = img;
  if (img.data.length !== w * h * 3) {
    throw new Error(`preprocessForClassification: ${img.data.length} bytes for a ${w}×${h} RGB image`);
  }
  return tf.tidy(() => {
    let x = tf.div(tf.cast(tf.tensor4d(img.data, [1, h, w, 3], 'int32'), 'float32'), 255) as tf.Tensor4D;
    if (!(w === crop && h === crop)) {
      const [nh, nw] =
        w <= h ? [Math.floor((resize * h) / w), resize] : [resize, Math.floor((resize * w) / h)];
      if (nh < crop || nw < crop) {
        throw new Error(
          `preprocessForClassification: resize ${resize} gives ${nw}×${nh}, smaller than crop ${crop}`,
        );
      }
      if (nh !== h || nw !== w) x = tf.image.resizeBilinear(x, [nh, nw], false, true);
      const top = Math.round((nh - crop) / 2);
      const left = Math.round((nw - crop) / 2);
      x = tf.slice(x, [0, top, left, 0], [1, crop, crop, 3]);
    }
    return tf.div(tf.sub(x, tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD])) as tf.Tensor4D;
  });
}

/** Softmax top-k of one logits row: [[classIndex, probability], …], highest first. */
export function topK(logits: Float32Array | number[], k = 5): [number, number][] {
  const max = Math.max(...logits);
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, i) => [i, e / sum] as [number, number])
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, k);
}
