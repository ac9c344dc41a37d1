import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCocoDataset } from './coco-dataset';
import { readImage } from './image-io';
import { generateShapeSample, resolveShapesOptions, shapeSampleRng } from './shapes-generator';
import { writeShapesDataset } from './shapes-dataset';
import { readVocDataset } from './voc-dataset';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-shapes-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const shapes = { width: 96, height: 64 };
const expected = (split: 'train' | 'val', i: number) =>
  generateShapeSample(shapeSampleRng(9, split, i), resolveShapesOptions(shapes)).objects;

describe('writeShapesDataset', () => {
  it('COCO round trip: generator → COCO-2017 tree → reader gives the same boxes and labels', async () => {
    const out = path.join(dir, 'coco');
    const summary = await writeShapesDataset({
      out,
      format: 'coco',
      count: 6,
      valCount: 3,
      seed: 9,
      shapes,
      imageFormat: 'png',
    });
    expect(summary.splits.map((s) => [s.split, s.images])).toEqual([
      ['train', 6],
      ['val', 3],
    ]);
    expect((await fs.readdir(out)).sort()).toEqual(['annotations', 'train', 'val']);
    expect((await fs.readdir(path.join(out, 'annotations'))).sort()).toEqual([
      'instances_train.json',
      'instances_val.json',
    ]);
    for (const split of ['train', 'val'] as const) {
      const ds = await readCocoDataset({
        annotationFile: path.join(out, 'annotations', `instances_${split}.json`),
      });
      expect(ds.categories.map((c) => [c.id, c.name])).toEqual([
        [1, 'circle'],
        [2, 'cross'],
        [3, 'square'],
        [4, 'triangle'],
      ]);
      expect(ds.issues).toEqual([]);
      expect(ds.records.map((r) => r.imageId)).toEqual(split === 'train' ? [1, 2, 3, 4, 5, 6] : [7, 8, 9]);
      for (const [i, r] of ds.records.entries()) {
        const objs = expected(split, i);
        expect(Array.from(r.boxes)).toEqual(objs.flatMap((o) => o.box));
        expect(Array.from(r.labels)).toEqual(objs.map((o) => o.label));
        expect(r.fileName).toBe(path.join(out, split, `${String(r.imageId).padStart(12, '0')}.png`));
        const img = await readImage(r.fileName);
        const drawn = generateShapeSample(shapeSampleRng(9, split, i), resolveShapesOptions(shapes)).image;
        expect([img.width, img.height]).toEqual([96, 64]);
        expect(Buffer.from(img.data).equals(Buffer.from(drawn.data))).toBe(true); // PNG is lossless
      }
    }
  });

  it('VOC round trip: generator → VOC2007 tree with 1-based boxes → reader gives the same boxes and labels', async () => {
    const out = path.join(dir, 'voc');
    await writeShapesDataset({ out, format: 'voc', count: 5, valCount: 2, seed: 9, shapes });
    expect((await fs.readdir(path.join(out, 'ImageSets', 'Main'))).sort()).toEqual(['train.txt', 'val.txt']);
    expect(await fs.readFile(path.join(out, 'ImageSets', 'Main', 'val.txt'), 'utf8')).toBe(
      '000006\n000007\n',
    );
    const xml = await fs.readFile(path.join(out, 'Annotations', '000001.xml'), 'utf8');
    const first = expected('train', 0)[0];
    expect(xml).toContain(`<xmin>${first.box[0] + 1}</xmin>`); // 1-based on disk
    expect(xml).toContain(`<xmax>${first.box[2]}</xmax>`);
    for (const split of ['train', 'val'] as const) {
      const ds = await readVocDataset({ root: out, split });
      expect(ds.categories.map((c) => c.name)).toEqual(['circle', 'cross', 'square', 'triangle']);
      for (const [i, r] of ds.records.entries()) {
        const objs = expected(split, i);
        expect(Array.from(r.boxes)).toEqual(objs.flatMap((o) => o.box));
        expect(Array.from(r.labels)).toEqual(objs.map((o) => o.label));
        expect((await readImage(r.fileName)).type).toBe('jpeg');
      }
    }
  });

  it('is deterministic: the same seed writes the same annotations', async () => {
    const a = path.join(dir, 'det-a'),
      b = path.join(dir, 'det-b');
    await writeShapesDataset({ out: a, format: 'coco', count: 4, valCount: 1, seed: 2 });
    await writeShapesDataset({ out: b, format: 'coco', count: 4, valCount: 1, seed: 2 });
    const read = (d: string) => fs.readFile(path.join(d, 'annotations', 'instances_train.json'), 'utf8');
    expect(await read(a)).toBe(await read(b));
    const doc = JSON.parse(await read(a));
    expect(Object.keys(doc).sort()).toEqual(['annotations', 'categories', 'images', 'info', 'licenses']);
    expect(doc.annotations[0]).toMatchObject({ id: 1, image_id: 1, iscrowd: 0 });
    expect(doc.annotations[0].segmentation[0].length).toBeGreaterThanOrEqual(6);
  });
});
