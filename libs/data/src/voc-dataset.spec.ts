import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetError } from './data-error';
import { trainingTarget } from './detection-record';
import { VOC_CLASSES, readVocDataset } from './voc-dataset';

const obj = (name: string, b: number[], difficult?: number) =>
  `<object><name>${name}</name>${difficult === undefined ? '' : `<difficult>${difficult}</difficult>`}` +
  `<bndbox><xmin>${b[0]}</xmin><ymin>${b[1]}</ymin><xmax>${b[2]}</xmax><ymax>${b[3]}</ymax></bndbox></object>`;
const xml = (file: string, w: number, h: number, objects: string[]) =>
  `<annotation><folder>VOC2007</folder><filename>${file}</filename><size><width>${w}</width><height>${h}</height><depth>3</depth></size>${objects.join('')}</annotation>`;

async function makeRoot(files: Record<string, string>, split: Record<string, string[]>): Promise<string> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'resdet-voc-'));
  await fs.mkdir(path.join(root, 'Annotations'));
  await fs.mkdir(path.join(root, 'ImageSets', 'Main'), { recursive: true });
  for (const [id, text] of Object.entries(files))
    await fs.writeFile(path.join(root, 'Annotations', `${id}.xml`), text);
  for (const [s, ids] of Object.entries(split))
    await fs.writeFile(path.join(root, 'ImageSets', 'Main', `${s}.txt`), ids.join('\n') + '\n');
  return root;
}

describe('readVocDataset', () => {
  const roots: string[] = [];
  afterAll(() => Promise.all(roots.map((r) => fs.rm(r, { recursive: true, force: true }))));
  const root = async (files: Record<string, string>, split: Record<string, string[]>) => {
    const r = await makeRoot(files, split);
    roots.push(r);
    return r;
  };

  it('converts 1-based inclusive pixel indices to 0-based pixel edges, keeps difficult flags, uses the VOC classes', async () => {
    const r = await root(
      {
        '000005': xml('000005.jpg', 500, 375, [
          obj('chair', [1, 1, 10, 20]),
          obj('dog', [263, 211, 324, 339], 1),
        ]),
        '000007': xml('000007.jpg', 500, 333, [obj('car', [141, 50, 500, 330], 0)]),
      },
      { val: ['000005', '000007'] },
    );
    const ds = await readVocDataset({ root: r, split: 'val' });
    expect(ds.categories.map((c) => c.name)).toEqual(VOC_CLASSES);
    const [a, b] = ds.records;
    expect([a.imageId, a.name, a.width, a.height]).toEqual([1, '000005', 500, 375]);
    expect(a.fileName).toBe(path.join(r, 'JPEGImages', '000005.jpg'));
    // xmin = 1, xmax = 10 covers pixels 0..9: [0, 10)
    expect(Array.from(a.boxes)).toEqual([0, 0, 10, 20, 262, 210, 324, 339]);
    expect(Array.from(a.labels)).toEqual([VOC_CLASSES.indexOf('chair') + 1, VOC_CLASSES.indexOf('dog') + 1]);
    expect(Array.from(a.difficult)).toEqual([0, 1]);
    // a box touching the right edge (xmax = width) is inside the image
    expect(Array.from(b.boxes)).toEqual([140, 49, 500, 330]);
    expect(ds.issues).toEqual([]);
    expect(Array.from(trainingTarget(a).labels)).toEqual([VOC_CLASSES.indexOf('chair') + 1]);
    expect(Array.from(trainingTarget(a, { keepDifficult: true }).labels)).toHaveLength(2);
  });

  it('takes classes from the data (sorted) when they are not VOC classes, or from the caller', async () => {
    const r = await root(
      { a: xml('a.png', 10, 10, [obj('square', [1, 1, 5, 5]), obj('circle', [2, 2, 8, 8])]) },
      { train: ['a'] },
    );
    const ds = await readVocDataset({ root: r });
    expect(ds.categories.map((c) => [c.label, c.name])).toEqual([
      [1, 'circle'],
      [2, 'square'],
    ]);
    expect(Array.from(ds.records[0].labels)).toEqual([2, 1]);
    expect(ds.records[0].fileName).toBe(path.join(r, 'JPEGImages', 'a.png'));
    const given = await readVocDataset({ root: r, classes: ['square', 'circle', 'star'] });
    expect(Array.from(given.records[0].labels)).toEqual([1, 2]);
    // objects of other classes are dropped and reported (like Detectron2), not fatal
    const other = await readVocDataset({ root: r, classes: ['star'] });
    expect(other.records[0].labels).toHaveLength(0);
    expect(other.issues.map((i) => `${i.kind} ${i.field}: ${i.message}`)).toEqual([
      'unknown-category annotation.object[0].name: "square" is not one of the classes (star); object dropped',
      'unknown-category annotation.object[1].name: "circle" is not one of the classes (star); object dropped',
      'image-no-annotations annotation: a has no usable object',
    ]);
  });

  it('names the file of truncated XML, a listed but absent annotation, a missing split list and a missing field', async () => {
    const good = xml('x.jpg', 10, 10, [obj('cat', [1, 1, 5, 5])]);
    const r = await root(
      {
        ok: good,
        cut: good.slice(0, 120),
        nosize: '<annotation><object><name>cat</name></object></annotation>',
        nobox: xml('y.jpg', 10, 10, ['<object><name>cat</name></object>']),
      },
      { cut: ['ok', 'cut'], absent: ['ok', 'ghost'], nosize: ['nosize'], nobox: ['nobox'] },
    );
    const err = async (split: string) => {
      try {
        await readVocDataset({ root: r, split });
      } catch (e) {
        expect(e).toBeInstanceOf(DatasetError);
        return e as DatasetError;
      }
      throw new Error('expected a DatasetError');
    };
    const cut = await err('cut');
    expect(cut.file).toBe(path.join(r, 'Annotations', 'cut.xml'));
    expect(cut.message).toMatch(/is not well-formed XML/);
    const ghost = await err('absent');
    expect(ghost.file).toBe(path.join(r, 'Annotations', 'ghost.xml'));
    expect(ghost.message).toMatch(/cannot be read \(ENOENT\); image id ghost is listed in the split/);
    const noList = await err('test');
    expect(noList.file).toBe(path.join(r, 'ImageSets', 'Main', 'test.txt'));
    expect((await err('nosize')).field).toBe('annotation.size.width');
    expect((await err('nobox')).field).toBe('annotation.object[0].bndbox');
    // a checker can collect bad files instead
    const bad: string[] = [];
    const ds = await readVocDataset({ root: r, split: 'cut', onBadAnnotation: (e) => bad.push(e.file) });
    expect(bad).toEqual([path.join(r, 'Annotations', 'cut.xml')]);
    expect(ds.records.map((x) => x.name)).toEqual(['ok']);
  });

  it('clips boxes reaching outside the image and drops degenerate ones, as counted issues', async () => {
    const r = await root(
      { a: xml('a.jpg', 20, 10, [obj('cat', [0, 1, 25, 10]), obj('cat', [5, 5, 4, 9])]) },
      { train: ['a'] },
    );
    const ds = await readVocDataset({ root: r });
    expect(Array.from(ds.records[0].boxes)).toEqual([0, 0, 20, 10]);
    expect(ds.issues.map((i) => [i.kind, i.field])).toEqual([
      ['box-outside', 'annotation.object[0].bndbox'],
      ['box-degenerate', 'annotation.object[1].bndbox'],
    ]);
  });
});
