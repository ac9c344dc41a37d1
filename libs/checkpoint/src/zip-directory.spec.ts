import { zipSync } from 'fflate';
import { BufferSource } from './byte-source';
import { entryDataOffset, readEntry, readZipDirectory } from './zip-directory';

describe('zip central directory', () => {
  const payload = Uint8Array.from({ length: 300 }, (_, i) => i % 7);
  const zip = zipSync(
    { 'arch/data.pkl': [new Uint8Array([1, 2, 3]), { level: 0 }], 'arch/data/0': [payload, { level: 9 }] },
    { comment: 'trailing comment' },
  );
  const src = new BufferSource(zip, 'z.pth');

  it('lists entries and reads stored and deflated ones', () => {
    const dir = readZipDirectory(src);
    expect([...dir.keys()]).toEqual(['arch/data.pkl', 'arch/data/0']);
    expect(dir.get('arch/data.pkl')).toMatchObject({ method: 0, size: 3, compressedSize: 3 });
    expect(dir.get('arch/data/0')!.method).toBe(8);
    expect(Array.from(readEntry(src, dir.get('arch/data.pkl')!))).toEqual([1, 2, 3]);
    expect(readEntry(src, dir.get('arch/data/0')!)).toEqual(payload);
    const off = entryDataOffset(src, dir.get('arch/data.pkl')!);
    expect(Array.from(zip.subarray(off, off + 3))).toEqual([1, 2, 3]);
  });

  it('reports a file without an end-of-central-directory record', () => {
    expect(() => readZipDirectory(new BufferSource(zip.subarray(0, zip.length - 40), 'z.pth'))).toThrow(
      /z\.pth: zip end-of-central-directory record not found/,
    );
  });
});
