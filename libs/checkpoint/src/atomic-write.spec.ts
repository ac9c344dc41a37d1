import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from './atomic-write';

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temp files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-'));
    const file = path.join(dir, 'deep', 'x.json');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, Uint8Array.from([110, 101, 119]));
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.json']);
    fs.rmSync(dir, { recursive: true });
  });
});
