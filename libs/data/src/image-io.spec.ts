import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { ImageReadError } from './data-error';
import { decodeImage, readImage } from './image-io';

/** A w×h RGB image whose pixel (x, y) is (x·10, y·10, 100). */
function gradientRaw(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set([x * 10, y * 10, 100], (y * w + x) * 3);
  return b;
}
const raw = (w: number, h: number, channels: 1 | 2 | 3 | 4, buf: Buffer) =>
  sharp(buf, { raw: { width: w, height: h, channels } });

async function rejection(p: Promise<unknown>): Promise<ImageReadError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImageReadError);
    return e as ImageReadError;
  }
  throw new Error('expected a rejection');
}

describe('decodeImage', () => {
  it('decodes lossless PNG, WebP and TIFF to the exact RGB HWC pixels', async () => {
    const src = gradientRaw(5, 4);
    for (const enc of [
      (s: Sharp) => s.png(),
      (s: Sharp) => s.webp({ lossless: true }),
      (s: Sharp) => s.tiff({ compression: 'lzw' }),
    ]) {
      const img = await decodeImage(await enc(raw(5, 4, 3, src)).toBuffer(), 'x');
      expect([img.width, img.height]).toEqual([5, 4]);
      expect(Buffer.from(img.data)).toEqual(src);
    }
  });

  it('decodes JPEG within JPEG error and reports its type', async () => {
    const img = await decodeImage(
      await raw(8, 8, 3, Buffer.alloc(192, 200)).jpeg({ quality: 95 }).toBuffer(),
      'x.jpg',
    );
    expect(img.type).toBe('jpeg');
    expect(Math.max(...Array.from(img.data, (v) => Math.abs(v - 200)))).toBeLessThanOrEqual(2);
  });

  it('drops alpha without blending and expands greyscale to three equal channels', async () => {
    const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 128]);
    const a = await decodeImage(await raw(2, 1, 4, rgba).png().toBuffer(), 'a.png');
    expect(Array.from(a.data)).toEqual([10, 20, 30, 40, 50, 60]);
    const g = await decodeImage(
      await raw(3, 1, 1, Buffer.from([0, 77, 255]))
        .png()
        .toBuffer(),
      'g.png',
    );
    expect(Array.from(g.data)).toEqual([0, 0, 0, 77, 77, 77, 255, 255, 255]);
    const ga = await decodeImage(
      await raw(2, 1, 2, Buffer.from([9, 0, 99, 255]))
        .png()
        .toBuffer(),
      'ga.png',
    );
    expect(Array.from(ga.data)).toEqual([9, 9, 9, 99, 99, 99]);
  });

  it('takes the first frame of an animated GIF', async () => {
    const red = await sharp({
      create: { width: 4, height: 3, channels: 3, background: { r: 255, g: 0, b: 0 } },
    })
      .png()
      .toBuffer();
    const blue = await sharp({
      create: { width: 4, height: 3, channels: 3, background: { r: 0, g: 0, b: 255 } },
    })
      .png()
      .toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } })
      .gif()
      .toBuffer();
    const img = await decodeImage(gif, 'anim.gif');
    expect([img.type, img.width, img.height]).toEqual(['gif', 4, 3]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 0, 0]);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    // 16×8 stored: left half red, right half blue. Displayed: 8×16, top half red, bottom half blue.
    const b = Buffer.alloc(16 * 8 * 3);
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 16; x++) b.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpg = await raw(16, 8, 3, b).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpg, 'rot.jpg');
    expect([img.width, img.height, img.originalWidth, img.originalHeight]).toEqual([8, 16, 8, 16]);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    expect(at(4, 3)[0]).toBeGreaterThan(200);
    expect(at(4, 3)[2]).toBeLessThan(50);
    expect(at(4, 12)[2]).toBeGreaterThan(200);
    expect(at(4, 12)[0]).toBeLessThan(50);
  });

  it('downscales only when maxSide asks for it, keeping the aspect ratio', async () => {
    const png = await raw(40, 20, 3, Buffer.alloc(2400, 9)).png().toBuffer();
    const small = await decodeImage(png, 'x', { maxSide: 10 });
    expect([small.width, small.height, small.originalWidth, small.originalHeight]).toEqual([10, 5, 40, 20]);
    const same = await decodeImage(png, 'x', { maxSide: 100 });
    expect([same.width, same.height]).toEqual([40, 20]);
  });

  it('names the file and the reason for empty, unsupported, truncated and oversized inputs', async () => {
    const empty = await rejection(decodeImage(new Uint8Array(0), 'empty.jpg'));
    expect([empty.reason, empty.message]).toEqual(['empty', 'image empty.jpg: empty file (0 bytes)']);
    const text = await rejection(decodeImage(Buffer.from('just some text'), 'notes.jpg'));
    expect(text.reason).toBe('unsupported');
    expect(text.message).toMatch(/^image notes\.jpg: not a JPEG, PNG, WebP, TIFF or GIF image/);
    const jpg = await raw(64, 64, 3, gradientRaw(64, 64)).jpeg().toBuffer();
    const trunc = await rejection(decodeImage(jpg.subarray(0, 300), 'cut.jpg'));
    expect(trunc.reason).toBe('corrupt');
    expect(trunc.message).toMatch(/^image cut\.jpg: corrupt or truncated jpeg/);
    const big = await rejection(decodeImage(jpg, 'bomb.jpg', { limitInputPixels: 64 * 64 - 1 }));
    expect(big.reason).toBe('too-many-pixels');
    expect(big.message).toContain('bomb.jpg');
    await expect(decodeImage(jpg, 'ok.jpg', { limitInputPixels: 64 * 64 })).resolves.toMatchObject({
      width: 64,
    });
  });
});

describe('readImage', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-image-io-'));
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('reads a file whatever its extension, and names missing and zero-byte files', async () => {
    const f = path.join(dir, 'picture.dat');
    await raw(3, 2, 3, gradientRaw(3, 2)).png().toFile(f);
    expect((await readImage(f)).type).toBe('png');
    const missing = await rejection(readImage(path.join(dir, 'nope.jpg')));
    expect([missing.reason, missing.file]).toEqual(['missing', path.join(dir, 'nope.jpg')]);
    const z = path.join(dir, 'zero.jpg');
    await fs.writeFile(z, '');
    expect((await rejection(readImage(z))).message).toBe(`image ${z}: empty file (0 bytes)`);
  });
});
