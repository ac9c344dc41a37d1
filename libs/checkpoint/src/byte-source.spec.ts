import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BufferSource, FileSource, withFileSource } from './byte-source';

describe('byte sources', () => {
  it('read ranges from memory and from a file, and name the file when past its end', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bs-')), 'b.bin');
    fs.writeFileSync(file, bytes);
    for (const src of [new BufferSource(bytes, file), new FileSource(file)]) {
      expect(src.size).toBe(100);
      expect(Array.from(src.read(10, 3))).toEqual([10, 11, 12]);
      const dst = new Uint8Array(2);
      src.readInto(98, dst);
      expect(Array.from(dst)).toEqual([98, 99]);
      expect(() => src.read(99, 2)).toThrow(
        `checkpoint ${file}: truncated file: needs bytes up to 101 but the file has 100`,
      );
      src.close();
    }
    expect(withFileSource(file, (s) => s.read(0, 1)[0])).toBe(0);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
