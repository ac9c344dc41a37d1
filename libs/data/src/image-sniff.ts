/** Image containers resdet decodes. */
export type ImageType = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif';

/**
 * Recognises an image by its first bytes (magic numbers), not by its file name, so a JPEG named `.dat` is
 * found and a `.jpg` holding text is not. Returns `undefined` for anything else (including BMP, HEIF and
 * SVG, which resdet does not read). Needs at most the first 12 bytes.
 *
 * @example
 * sniffImageType(await fs.readFile('photo.bin')); // 'jpeg'
 */
export function sniffImageType(buf: Uint8Array): ImageType | undefined {
  const at = (i: number, bytes: number[]) =>
    buf.length >= i + bytes.length && bytes.every((b, k) => buf[i + k] === b);
  if (at(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (at(0, [0x47, 0x49, 0x46, 0x38]) && (at(4, [0x37, 0x61]) || at(4, [0x39, 0x61]))) return 'gif';
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return 'webp';
  if (at(0, [0x49, 0x49, 0x2a, 0x00]) || at(0, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (at(0, [0x49, 0x49, 0x2b, 0x00]) || at(0, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff'; // BigTIFF
  return undefined;
}
