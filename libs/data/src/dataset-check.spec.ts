import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDataset } from './dataset-check';
import { writeShapesDataset } from './shapes-dataset';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-check-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function tree(name: string, format: 'coco' | 'voc'): Promise<string> {
  const out = path.join(dir, name);
  await writeShapesDataset({
    out,
    format,
    count: 4,
    valCount: 2,
    seed: 1,
    shapes: { width: 64, height: 64 },
  });
  return out;
}

describe('checkDataset', () => {
  it('passes a healthy tree and reports per-class counts and box sizes', async () => {
    const root = await tree('ok-coco', 'coco');
    const r = await checkDataset({ format: 'coco', path: root });
    expect(r.problems).toEqual([]);
    expect(r.notes).toEqual([]);
    expect(r.splits.map((s) => [s.split, s.images])).toEqual([
      ['train', 4],
      ['val', 2],
    ]);
    const train = r.splits[0];
    expect(train.classes.map((c) => c.name)).toEqual(['circle', 'cross', 'square', 'triangle']);
    expect(train.classes.reduce((n, c) => n + c.boxes, 0)).toBe(train.boxes);
    expect(train.boxSide.min).toBeGreaterThan(0);
    expect(train.boxSide.max).toBeLessThanOrEqual(64);
    expect(train.sizeBuckets.small + train.sizeBuckets.medium + train.sizeBuckets.large).toBe(train.boxes);
    const voc = await checkDataset({ format: 'voc', path: await tree('ok-voc', 'voc') });
    expect(voc.problems).toEqual([]);
    expect(voc.splits.map((s) => s.split)).toEqual(['train', 'val']);
  });

  it('names the file of a zero-byte image, an absent image, a box outside its image and a JSON missing a field', async () => {
    const root = await tree('bad-coco', 'coco');
    const ann = path.join(root, 'annotations', 'instances_train.json');
    const doc = JSON.parse(await fs.readFile(ann, 'utf8'));
    doc.annotations[0].bbox = [60, 60, 10, 10];
    await fs.writeFile(ann, JSON.stringify(doc));
    const zero = path.join(root, 'train', doc.images[1].file_name);
    await fs.writeFile(zero, '');
    const absent = path.join(root, 'train', doc.images[2].file_name);
    await fs.rm(absent);
    const valAnn = path.join(root, 'annotations', 'instances_val.json');
    const val = JSON.parse(await fs.readFile(valAnn, 'utf8'));
    delete val.images[0].height;
    await fs.writeFile(valAnn, JSON.stringify(val));

    const r = await checkDataset({ format: 'coco', path: root });
    const by = (kind: string) => r.problems.filter((p) => p.kind === kind);
    expect(by('box-outside').map((p) => [p.file, p.field])).toEqual([[ann, 'annotations[0].bbox']]);
    expect(
      by('image-unreadable')
        .map((p) => p.file)
        .sort(),
    ).toEqual([absent, zero].sort());
    expect(by('image-unreadable').find((p) => p.file === zero)!.message).toMatch(
      /^empty: empty file \(0 bytes\)/,
    );
    expect(by('image-unreadable').find((p) => p.file === absent)!.message).toMatch(/^missing: no such file/);
    expect(by('format').map((p) => [p.file, p.field])).toEqual([[valAnn, 'images[0].height']]);
    expect(r.splits.map((s) => s.split)).toEqual(['train']); // the broken split is reported, not summarised
  });

  it('reports zero/negative-size boxes, boxes outside the image, unknown category ids and empty images, each with file and reason', async () => {
    const root = await tree('bad-boxes', 'coco');
    const ann = path.join(root, 'annotations', 'instances_train.json');
    const doc = JSON.parse(await fs.readFile(ann, 'utf8'));
    const img0 = doc.images[0].id;
    doc.annotations = [
      { id: 1, image_id: img0, category_id: doc.categories[0].id, bbox: [5, 5, 0, 10], iscrowd: 0 },
      { id: 2, image_id: img0, category_id: doc.categories[0].id, bbox: [5, 5, -3, 10], iscrowd: 0 },
      { id: 3, image_id: img0, category_id: doc.categories[0].id, bbox: [100, 100, 5, 5], iscrowd: 0 },
      { id: 4, image_id: img0, category_id: 999, bbox: [1, 1, 5, 5], iscrowd: 0 },
      ...doc.images.slice(1).map((im: { id: number }, i: number) => ({
        id: 10 + i,
        image_id: im.id,
        category_id: doc.categories[0].id,
        bbox: [1, 1, 8, 8],
        iscrowd: 0,
      })),
    ];
    await fs.writeFile(ann, JSON.stringify(doc));
    const r = await checkDataset({ format: 'coco', path: root, decode: false });
    const got = r.problems.filter((p) => p.file === ann).map((p) => [p.kind, p.field]);
    expect(got).toEqual([
      ['box-degenerate', 'annotations[0].bbox'],
      ['box-degenerate', 'annotations[1].bbox'],
      ['box-outside', 'annotations[2].bbox'],
      ['box-degenerate', 'annotations[2].bbox'],
      ['unknown-category', 'annotations[3].category_id'],
    ]);
    for (const p of r.problems) expect(p.message.length).toBeGreaterThan(10);
    // an image left without annotations is legal (a negative): a note, not a problem
    expect(r.notes.map((p) => [p.kind, p.file, p.field])).toEqual([
      ['image-no-annotations', ann, `images[id=${img0}]`],
    ]);
    expect(r.notes[0].message).toMatch(/has no usable \(non-crowd\) annotation/);
  });

  it('names truncated VOC XML and a wrong image size, and can skip decoding', async () => {
    const root = await tree('bad-voc', 'voc');
    const xml = path.join(root, 'Annotations', '000002.xml');
    const text = await fs.readFile(xml, 'utf8');
    await fs.writeFile(xml, text.slice(0, text.length - 40));
    const img = path.join(root, 'JPEGImages', '000003.jpg');
    const x3 = path.join(root, 'Annotations', '000003.xml');
    await fs.writeFile(x3, (await fs.readFile(x3, 'utf8')).replace('<width>64</width>', '<width>65</width>'));
    const r = await checkDataset({ format: 'voc', path: root, splits: ['train'] });
    expect(r.problems.map((p) => [p.kind, p.file])).toEqual([
      ['format', xml],
      ['image-size', img],
    ]);
    expect(r.problems[0].message).toMatch(/not well-formed XML/);
    const quick = await checkDataset({ format: 'voc', path: root, splits: ['train'], decode: false });
    expect(quick.problems.map((p) => p.kind)).toEqual(['format']);
  });

  it('throws for a path that is not a dataset', async () => {
    await expect(checkDataset({ format: 'coco', path: dir })).rejects.toThrow(
      /neither a COCO instances JSON file nor a folder/,
    );
    await expect(checkDataset({ format: 'voc', path: dir })).rejects.toThrow(/has no ImageSets\/Main/);
  });
});
