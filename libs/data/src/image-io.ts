import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { ImageReadError } from './data-error';
import { sniffImageType, type ImageType } from './image-sniff';

/** An 8-bit RGB image in host memory: `data` is `[height, width, 3]` (HWC), row-major, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A decoded image with what the decoder saw in the file. */
export interface DecodedImage extends RgbImage {
  /** Container found by content. */
  type: ImageType;
  /** Size of the image as displayed (after EXIF orientation) before any downscale asked for by `maxSide`. */
  originalWidth: number;
  originalHeight: number;
}

/** sharp's own default: 0x3FFF × 0x3FFF pixels. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 0x3fff * 0x3fff;

export interface ReadImageOptions {
  /**
   * Refuse images with more pixels than this (width × height as stored) before decoding them, so a
   * "decompression bomb" cannot exhaust memory. Default {@link DEFAULT_LIMIT_INPUT_PIXELS}; `false` disables it.
   */
  limitInputPixels?: number | false;
  /**
   * Only if set: shrink (never enlarge) so that the longer side is at most this many pixels, with sharp's
   * resampler. Model-side resizing is bilinear on tensors elsewhere; this is only for loaders that want to cut
   * decode cost on huge inputs.
   */
  maxSide?: number;
}

/**
 * Reads an image file into RGB uint8 HWC. JPEG, PNG, WebP, TIFF and GIF (first frame) are recognised by
 * content ({@link sniffImageType}). EXIF orientation is applied (the pixels come out as a viewer shows them),
 * an alpha channel is dropped (not blended), greyscale and palette images are expanded to RGB, 16-bit images
 * are reduced to 8 bits. Throws {@link ImageReadError} naming the file and the reason: missing, empty (zero
 * bytes), unsupported format, too many pixels, corrupt/truncated.
 *
 * @example
 * const { data, width, height } = await readImage('/data/val/000001.jpg');
 * data[(y * width + x) * 3 + 0]; // red at (x, y)
 */
export async function readImage(file: string, opts: ReadImageOptions = {}): Promise<DecodedImage> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageReadError(file, 'missing', 'no such file');
    if (code === 'EISDIR') throw new ImageReadError(file, 'unsupported', 'is a folder, not an image file');
    throw new ImageReadError(file, 'missing', `cannot be read (${(e as Error).message})`);
  }
  return decodeImage(buf, file, opts);
}

/**
 * Decodes image bytes already in memory (an upload, a file read elsewhere); `name` is used in errors. Same
 * behaviour as {@link readImage}.
 */
export async function decodeImage(
  buf: Uint8Array,
  name: string,
  opts: ReadImageOptions = {},
): Promise<DecodedImage> {
  if (buf.length === 0) throw new ImageReadError(name, 'empty', 'empty file (0 bytes)');
  const type = sniffImageType(buf);
  if (!type) {
    const head = Array.from(buf.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ImageReadError(
      name,
      'unsupported',
      `not a JPEG, PNG, WebP, TIFF or GIF image (first bytes: ${head})`,
    );
  }
  const limit = opts.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS;
  try {
    let pipeline = sharp(buf, {
      limitInputPixels: limit === false ? false : limit,
      pages: 1,
      page: 0,
    }).rotate();
    const meta = await pipeline.metadata();
    // metadata() reports the stored size; orientations 5..8 swap width and height when displayed.
    const swap = (meta.orientation ?? 1) >= 5;
    const originalWidth = swap ? meta.height! : meta.width!;
    const originalHeight = swap ? meta.width! : (meta.pageHeight ?? meta.height!);
    if (opts.maxSide !== undefined && Math.max(originalWidth, originalHeight) > opts.maxSide) {
      pipeline = pipeline.resize({
        width: opts.maxSide,
        height: opts.maxSide,
        fit: 'inside',
        withoutEnlargement: true,
      });
    }
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ImageReadError(name, 'corrupt', `decoded to ${info.channels} channels, expected 3`);
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      type,
      originalWidth,
      originalHeight,
    };
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    const msg = (e as Error).message.split('\n')[0];
    if (/pixel limit/i.test(msg)) {
      throw new ImageReadError(
        name,
        'too-many-pixels',
        `has more pixels than the limit of ${limit} (${msg}); raise limitInputPixels if the file is trusted`,
      );
    }
    throw new ImageReadError(name, 'corrupt', `corrupt or truncated ${type} (${msg})`);
  }
}
