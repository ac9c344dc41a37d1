import { linearTaps, resizedSize } from '@resdet/detection';

const f = Math.fround;

/** One RGB image in host memory, HWC row-major: uint8 (0–255, decoded pixels) or float32 already in [0, 1]. */
export interface HostImage {
  data: Uint8Array | Float32Array;
  height: number;
  width: number;
}

/** GeneralizedRCNNTransform's inference settings. */
export interface HostTransformOptions {
  minSize: number;
  maxSize: number;
  imageMean: readonly number[];
  imageStd: readonly number[];
  sizeDivisible: number;
}

/** A batch ready for the ONNX backbone: NCHW float32, zero-padded bottom/right. */
export interface HostBatch {
  /** `[N, 3, Hp, Wp]` flat. */
  data: Float32Array;
  dims: [number, number, number, number];
  /** Per image `[h, w]` after resizing, before padding. */
  imageSizes: [number, number][];
}

/**
 * torchvision's inference transform on the host, writing NCHW directly (what ONNX wants), with the same float32
 * operations in the same order as resdet's tfjs path (`rgbToTensor` → `GeneralizedRCNNTransform.forward`):
 * `x = u8 / 255`, `(x − mean) / std`, torch's bilinear resize (`linearTaps`: width pass then height pass, each
 * `a·l0 + b·l1`), zero padding to a multiple of `sizeDivisible`. Every step is rounded to float32
 * (`Math.fround`), so the result is bit-identical to the tfjs path's batch.
 *
 * @example
 * const batch = prepareBatch([{ data: rgbU8, height: 480, width: 640 }], { minSize: 800, maxSize: 1333,
 *   imageMean: IMAGENET_MEAN, imageStd: IMAGENET_STD, sizeDivisible: 32 });
 * batch.dims; // [1, 3, 800, 1088]; batch.imageSizes: [[800, 1066]]
 */
export function prepareBatch(images: readonly HostImage[], o: HostTransformOptions): HostBatch {
  if (images.length === 0) throw new Error('prepareBatch: no images given');
  const c = o.imageMean.length;
  const imageSizes = images.map((im, i): [number, number] => {
    if (im.data.length !== im.height * im.width * c) {
      throw new Error(
        `prepareBatch: image ${i} has ${im.data.length} values, expected ${im.height}×${im.width}×${c}`,
      );
    }
    return resizedSize(im.height, im.width, o.minSize, o.maxSize);
  });
  const d = o.sizeDivisible;
  const hp = Math.ceil(Math.max(...imageSizes.map((s) => s[0])) / d) * d;
  const wp = Math.ceil(Math.max(...imageSizes.map((s) => s[1])) / d) * d;
  const data = new Float32Array(images.length * c * hp * wp);
  images.forEach((im, i) => {
    const [oh, ow] = imageSizes[i];
    for (let ch = 0; ch < c; ch++) {
      const plane = normalizedPlane(im, ch, c, f(o.imageMean[ch]), f(o.imageStd[ch]));
      const out = data.subarray((i * c + ch) * hp * wp, (i * c + ch + 1) * hp * wp);
      resizePlane(plane, im.height, im.width, oh, ow, out, wp);
    }
  });
  return { data, dims: [images.length, c, hp, wp], imageSizes };
}

/** Channel `ch` of an HWC image as `(x − mean) / std`, `[H, W]` float32. */
function normalizedPlane(im: HostImage, ch: number, c: number, mean: number, std: number): Float32Array {
  const n = im.height * im.width;
  const out = new Float32Array(n);
  const src = im.data;
  if (src instanceof Uint8Array) {
    for (let p = 0; p < n; p++) out[p] = f(f(f(src[p * c + ch] / 255) - mean) / std);
  } else {
    for (let p = 0; p < n; p++) out[p] = f(f(src[p * c + ch] - mean) / std);
  }
  return out;
}

/** torch bilinear (align_corners=False) `[h, w]` → `[oh, ow]`, written into rows of width `stride` of `out`. */
function resizePlane(
  src: Float32Array,
  h: number,
  w: number,
  oh: number,
  ow: number,
  out: Float32Array,
  stride: number,
): void {
  const x = linearTaps(w, ow);
  const y = linearTaps(h, oh);
  const cols = new Float32Array(h * ow);
  for (let r = 0; r < h; r++) {
    const row = r * w;
    for (let o = 0; o < ow; o++) {
      cols[r * ow + o] = f(f(src[row + x.i0[o]] * x.l0[o]) + f(src[row + x.i1[o]] * x.l1[o]));
    }
  }
  for (let o = 0; o < oh; o++) {
    const a = y.i0[o] * ow;
    const b = y.i1[o] * ow;
    const l0 = y.l0[o];
    const l1 = y.l1[o];
    const dst = o * stride;
    for (let q = 0; q < ow; q++) out[dst + q] = f(f(cols[a + q] * l0) + f(cols[b + q] * l1));
  }
}
