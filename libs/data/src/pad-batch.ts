import type { RgbImage } from './image-io';

/** Images of different sizes in one zero-padded host array. */
export interface PaddedBatch {
  /** `[batch, height, width, 3]` uint8, NHWC; each image at the top-left, the rest `value`. */
  data: Uint8Array;
  batch: number;
  height: number;
  width: number;
  /** `[height, width]` of each image inside the padded array. */
  sizes: [number, number][];
}

/**
 * Copies RGB HWC images into one NHWC array whose height and width are the largest of the batch rounded up to
 * a multiple of `sizeDivisible` (torchvision's `batch_images` rule, on host memory). The detection transform
 * does the same on tensors after resizing; this helper is for host-side consumers (a dataloader worker that
 * ships one buffer, a visualiser).
 *
 * @example
 * const { data, height, width } = padBatch(batch.images, 32);
 */
export function padBatch(images: readonly RgbImage[], sizeDivisible = 32, value = 0): PaddedBatch {
  if (images.length === 0) throw new RangeError('padBatch: no images');
  const up = (v: number) => Math.ceil(v / sizeDivisible) * sizeDivisible;
  const height = up(Math.max(...images.map((i) => i.height)));
  const width = up(Math.max(...images.map((i) => i.width)));
  const data = new Uint8Array(images.length * height * width * 3);
  if (value !== 0) data.fill(value);
  images.forEach((img, b) => {
    for (let y = 0; y < img.height; y++) {
      const src = img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3);
      data.set(src, (b * height + y) * width * 3);
    }
  });
  return { data, batch: images.length, height, width, sizes: images.map((i) => [i.height, i.width]) };
}
