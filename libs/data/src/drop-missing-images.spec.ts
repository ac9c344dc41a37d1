import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DetectionDataset, DetectionRecord } from './detection-record';
import { dropMissingImages } from './drop-missing-images';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-drop-missing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(name: string): DetectionRecord {
  return {
    imageId: 1,
    name,
    fileName: path.join(dir, name),
    width: 8,
    height: 8,
    boxes: new Float32Array(4),
    labels: new Int32Array(1),
    iscrowd: new Uint8Array(1),
    difficult: new Uint8Array(1),
    annotationIds: new Float64Array(1),
  };
}

describe('dropMissingImages', () => {
  it('drops missing, empty and non-file images with one issue each, keeping the order of the rest', async () => {
    writeFileSync(path.join(dir, 'a.jpg'), 'x');
    writeFileSync(path.join(dir, 'c.jpg'), 'x');
    writeFileSync(path.join(dir, 'empty.jpg'), '');
    mkdirSync(path.join(dir, 'folder.jpg'));
    const ds: DetectionDataset = {
      format: 'coco',
      source: '/data/instances_train.json',
      records: ['a.jpg', 'gone.jpg', 'empty.jpg', 'folder.jpg', 'c.jpg'].map(record),
      categories: [],
      issues: [{ kind: 'box-degenerate', file: 'f', field: 'x', message: 'y' }],
    };
    const out = await dropMissingImages(ds);
    expect(out.records.map((r) => r.name)).toEqual(['a.jpg', 'c.jpg']);
    expect(out.issues.map((i) => [i.kind, i.file, i.field])).toEqual([
      ['box-degenerate', 'f', 'x'],
      ['image-missing', '/data/instances_train.json', 'image gone.jpg'],
      ['image-missing', '/data/instances_train.json', 'image empty.jpg'],
      ['image-missing', '/data/instances_train.json', 'image folder.jpg'],
    ]);
    expect(out.issues[1].message).toBe(`${path.join(dir, 'gone.jpg')} does not exist; image dropped`);
    expect(out.issues[2].message).toMatch(/is an empty file \(0 bytes\); image dropped$/);
    expect(out.issues[3].message).toMatch(/is not a file; image dropped$/);
    expect(await dropMissingImages({ ...ds, records: [record('a.jpg')] })).toEqual({
      ...ds,
      records: [record('a.jpg')],
    });
  });
});
