import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listImageFiles, safeJoin } from './image-source';

describe('listImageFiles', () => {
  it('walks folders recursively in a stable order, keeps files given directly, reports missing inputs', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'resdet-src-'));
    mkdirSync(path.join(root, 'b', 'deep'), { recursive: true });
    mkdirSync(path.join(root, '.hidden'));
    for (const f of ['z.jpg', 'a.png', 'b/deep/c.dat', 'b/x.txt', '.hidden/h.jpg'])
      writeFileSync(path.join(root, f), 'x');
    const missing: string[] = [];
    const items = await listImageFiles([root, path.join(root, 'a.png'), path.join(root, 'nope')], {
      onMissing: (i) => missing.push(i),
    });
    expect(items.map((i) => i.relative)).toEqual(['a.png', 'b/deep/c.dat', 'b/x.txt', 'z.jpg']);
    expect(missing).toEqual([path.join(root, 'nope')]);
  });
});

describe('safeJoin', () => {
  it('joins inside the root and refuses paths that escape it', () => {
    expect(safeJoin('/out', 'a/b.jpg')).toBe(path.resolve('/out/a/b.jpg'));
    expect(() => safeJoin('/out', '../etc/passwd')).toThrow(/escapes/);
    expect(() => safeJoin('/out', '/etc/passwd')).toThrow(/escapes/);
  });
});
