import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCocoDataset, cocoImageDir } from './coco-dataset';
import { DatasetError } from './data-error';
import { trainingTarget } from './detection-record';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-coco-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const base = () => ({
  images: [
    { id: 7, file_name: 'b.jpg', width: 100, height: 50 },
    { id: 3, file_name: 'a.jpg', width: 64, height: 64 },
    { id: 9, file_name: 'empty.jpg', width: 10, height: 10 },
  ],
  annotations: [
    { id: 1, image_id: 7, category_id: 90, bbox: [10, 5, 20, 30], iscrowd: 0 },
    { id: 2, image_id: 7, category_id: 18, bbox: [0, 0, 100, 50], iscrowd: 1 },
    { id: 3, image_id: 3, category_id: 1, bbox: [1.5, 2.5, 3, 4] },
    { id: 4, image_id: 3, category_id: 1, bbox: [5, 5, 0, 10] }, // zero width: dropped
    { id: 5, image_id: 3, category_id: 18, bbox: [60, 60, 10, 10] }, // reaches outside: clipped to [60, 60, 64, 64]
  ],
  categories: [
    { id: 90, name: 'toothbrush' },
    { id: 1, name: 'person' },
    { id: 18, name: 'dog' },
  ],
});

async function write(name: string, doc: unknown): Promise<string> {
  const f = path.join(dir, name);
  await fs.writeFile(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
}

async function fails(doc: unknown): Promise<DatasetError> {
  const f = await write('bad.json', doc);
  try {
    await readCocoDataset({ annotationFile: f, imageDir: dir });
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).file).toBe(f);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('readCocoDataset', () => {
  it('converts xywh to xyxy, maps ids to contiguous labels, keeps crowd boxes flagged, sorts by image id', async () => {
    const f = await write('instances_val.json', base());
    const ds = await readCocoDataset({ annotationFile: f, imageDir: dir });
    expect(ds.categories).toEqual([
      { label: 1, id: 1, name: 'person' },
      { label: 2, id: 18, name: 'dog' },
      { label: 3, id: 90, name: 'toothbrush' },
    ]);
    expect(ds.records.map((r) => r.imageId)).toEqual([3, 7, 9]);
    const [a, b, e] = ds.records;
    expect(a.fileName).toBe(path.join(dir, 'a.jpg'));
    expect(Array.from(a.boxes)).toEqual([1.5, 2.5, 4.5, 6.5, 60, 60, 64, 64]);
    expect(Array.from(a.labels)).toEqual([1, 2]);
    expect(Array.from(a.annotationIds)).toEqual([3, 5]);
    expect(Array.from(b.boxes)).toEqual([10, 5, 30, 35, 0, 0, 100, 50]);
    expect(Array.from(b.labels)).toEqual([3, 2]);
    expect(Array.from(b.iscrowd)).toEqual([0, 1]);
    expect(e.labels.length).toBe(0);
    // crowd regions are evaluation-only
    const t = trainingTarget(b);
    expect(Array.from(t.boxes)).toEqual([10, 5, 30, 35]);
    expect(Array.from(t.labels)).toEqual([3]);
  });

  it('counts the dropped degenerate box and the clipped one as issues naming file and field', async () => {
    const f = await write('instances_val.json', base());
    const ds = await readCocoDataset({ annotationFile: f, imageDir: dir });
    expect(ds.issues.map((i) => [i.kind, i.field])).toEqual([
      ['box-degenerate', 'annotations[3].bbox'],
      ['box-outside', 'annotations[4].bbox'],
      ['image-no-annotations', 'images[id=9]'],
    ]);
    expect(ds.issues[0].file).toBe(f);
  });

  it('skips images without non-crowd boxes when asked', async () => {
    const doc = base();
    doc.annotations[0].iscrowd = 1; // image 7 now has only crowd boxes
    const f = await write('instances_train.json', doc);
    const ds = await readCocoDataset({ annotationFile: f, imageDir: dir, skipEmpty: true });
    expect(ds.records.map((r) => r.imageId)).toEqual([3]);
  });

  it('finds the COCO-2017 image folder next to annotations/', async () => {
    const root = path.join(dir, 'tree');
    await fs.mkdir(path.join(root, 'annotations'), { recursive: true });
    await fs.mkdir(path.join(root, 'val2017'), { recursive: true });
    expect(cocoImageDir(path.join(root, 'annotations', 'instances_val2017.json'))).toBe(
      path.join(root, 'val2017'),
    );
    expect(cocoImageDir(path.join(root, 'annotations', 'instances_val.json'))).toBe(
      path.join(root, 'val2017'),
    );
    expect(cocoImageDir(path.join(root, 'annotations', 'instances_train.json'))).toBe(
      path.join(root, 'train'),
    );
  });

  it('names the file and field of malformed input', async () => {
    expect((await fails('{"images": [')).message).toMatch(/bad\.json: is not valid JSON/);
    const noBbox = base() as { annotations: Record<string, unknown>[] };
    delete noBbox.annotations[2].bbox;
    expect((await fails(noBbox)).message).toMatch(
      /bad\.json: annotations\[2\]\.bbox must be 4 finite numbers \[x, y, w, h\], got undefined/,
    );
    const noName = base() as { images: Record<string, unknown>[] };
    delete noName.images[1].file_name;
    const e1 = await fails(noName);
    expect([e1.field, e1.detail]).toEqual([
      'images[1].file_name',
      'must be a non-empty string, it is missing',
    ]);
    const noCats = base() as Record<string, unknown>;
    delete noCats.categories;
    expect((await fails(noCats)).field).toBe('categories');
    const badImage = base();
    badImage.annotations[0].image_id = 12345;
    expect((await fails(badImage)).message).toMatch(
      /annotations\[0\]\.image_id 12345 is not the id of any entry in images/,
    );
    // an unknown category id drops that annotation with a reported issue (Detectron2 does the same)
    const badCat = base();
    badCat.annotations[1].category_id = 2;
    const f = await write('instances_badcat.json', badCat);
    const ds = await readCocoDataset({ annotationFile: f, imageDir: dir });
    expect(ds.issues[0]).toEqual({
      kind: 'unknown-category',
      file: f,
      field: 'annotations[1].category_id',
      message: '2 is not the id of any entry in categories; annotation dropped',
    });
    expect(ds.records.reduce((n, r) => n + r.labels.length, 0)).toBe(
      (
        await readCocoDataset({ annotationFile: await write('instances_ok.json', base()), imageDir: dir })
      ).records.reduce((n, r) => n + r.labels.length, 0) - 1,
    );
    const dup = base();
    dup.images[2].id = 7;
    expect((await fails(dup)).message).toMatch(/images\[2\]\.id 7 is used twice/);
    const wrongType = base() as { images: Record<string, unknown>[] };
    wrongType.images[0].width = '100';
    expect((await fails(wrongType)).field).toBe('images[0].width');
  });

  it('names a missing annotation file', async () => {
    const f = path.join(dir, 'nope.json');
    await expect(readCocoDataset({ annotationFile: f })).rejects.toThrow(`${f}: cannot be read (ENOENT)`);
  });
});
