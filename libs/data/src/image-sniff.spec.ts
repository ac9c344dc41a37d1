import { sniffImageType } from './image-sniff';

const bytes = (...b: number[]) => Uint8Array.from([...b, 0, 0, 0, 0, 0, 0, 0, 0]);

describe('sniffImageType', () => {
  it('recognises each container by its magic bytes', () => {
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(sniffImageType(Buffer.from('GIF89a....'))).toBe('gif');
    expect(sniffImageType(Buffer.from('GIF87a....'))).toBe('gif');
    expect(sniffImageType(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 '))).toBe('webp');
    expect(sniffImageType(bytes(0x49, 0x49, 0x2a, 0x00))).toBe('tiff');
    expect(sniffImageType(bytes(0x4d, 0x4d, 0x00, 0x2a))).toBe('tiff');
  });

  it('rejects text, BMP, RIFF that is not WebP, and short buffers', () => {
    expect(sniffImageType(Buffer.from('hello, not an image'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('BM\x00\x00\x00\x00\x00\x00'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt '))).toBeUndefined();
    expect(sniffImageType(Uint8Array.from([0xff, 0xd8]))).toBeUndefined();
    expect(sniffImageType(new Uint8Array(0))).toBeUndefined();
  });
});
