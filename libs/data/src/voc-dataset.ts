import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DatasetError, type DatasetIssue } from './data-error';
import { fixBox } from './box-fixup';
import type { Category, DetectionDataset, DetectionRecord } from './detection-record';
import { mapLimit } from './map-limit';

/** The 20 PASCAL VOC classes in their standard order (label 1 = aeroplane … 20 = tvmonitor). */
export const VOC_CLASSES: readonly string[] = Object.freeze([
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
]);

export interface ReadVocOptions {
  /** The folder holding `Annotations/`, `JPEGImages/` and `ImageSets/Main/` (e.g. `VOCdevkit/VOC2007`). */
  root: string;
  /** Split list `ImageSets/Main/<split>.txt`; default `train`. */
  split?: string;
  /**
   * Class names in label order. Default, in this order: the names in `<root>/labels.txt` (one per line, as the
   * shapes generator writes it; so every split of a tree gets the same labels), the 20 VOC classes when every
   * object name in the split is one of them, otherwise the names found in the split, sorted.
   */
  classes?: readonly string[];
  /**
   * Unset (default): the first unreadable or malformed annotation file throws. Set: each such file is passed
   * here and its image left out, so a checker can list every bad file in one run.
   */
  onBadAnnotation?: (error: DatasetError) => void;
}

interface VocObject {
  name: string;
  box: [number, number, number, number];
  difficult: number;
  field: string;
}

interface VocImage {
  id: string;
  xml: string;
  fileName: string;
  width: number;
  height: number;
  objects: VocObject[];
}

/**
 * Reads a PASCAL VOC 2007/2012 split into {@link DetectionRecord}s (in split-list order, `imageId` = 1-based
 * position). VOC stores 1-based inclusive pixel indices; they become resdet's 0-based pixel edges as
 * `x1 = xmin - 1, y1 = ymin - 1, x2 = xmax, y2 = ymax` (a box `xmin = 1, xmax = 10` covers pixels 0..9, i.e.
 * `[0, 10)`). `difficult` objects are kept with their flag (VOC AP ignores them; training skips them by
 * default). Throws {@link DatasetError} naming the file and the field for a missing split list or annotation,
 * malformed or truncated XML, a missing `size`/`bndbox` field or an unknown class.
 *
 * @example
 * const ds = await readVocDataset({ root: 'VOCdevkit/VOC2007', split: 'val' });
 * ds.categories.map((c) => c.name); // ['aeroplane', …]
 */
export async function readVocDataset(opts: ReadVocOptions): Promise<DetectionDataset> {
  const root = path.resolve(opts.root);
  const split = opts.split ?? 'train';
  const listFile = path.join(root, 'ImageSets', 'Main', `${split}.txt`);
  let list: string;
  try {
    list = await fs.readFile(listFile, 'utf8');
  } catch (e) {
    throw new DatasetError(
      listFile,
      undefined,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is ${root} a VOC root with ImageSets/Main/${split}.txt?`,
    );
  }
  const ids = list
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((l) => l.length > 0);
  const parser = new XMLParser({
    isArray: (name) => name === 'object',
    parseTagValue: false,
    trimValues: true,
  });
  const read = await mapLimit(ids, 16, async (id) => {
    try {
      return await readVocXml(root, id, parser);
    } catch (e) {
      if (!(e instanceof DatasetError) || !opts.onBadAnnotation) throw e;
      opts.onBadAnnotation(e);
      return undefined;
    }
  });
  const images = read.filter((im): im is VocImage => im !== undefined);

  const names = new Set(images.flatMap((im) => im.objects.map((o) => o.name)));
  const classes =
    opts.classes ??
    (await readLabelsFile(root)) ??
    ([...names].every((n) => VOC_CLASSES.includes(n)) ? VOC_CLASSES : [...names].sort());
  const labelOf = new Map(classes.map((c, i) => [c, i + 1]));
  const issues: DatasetIssue[] = [];
  const records: DetectionRecord[] = images.map((im, i) => {
    const kept: { box: number[]; label: number; difficult: number }[] = [];
    for (const o of im.objects) {
      const label = labelOf.get(o.name);
      if (label === undefined) {
        issues.push({
          kind: 'unknown-category',
          file: im.xml,
          field: `${o.field}.name`,
          message: `"${o.name}" is not one of the classes (${classes.join(', ')}); object dropped`,
        });
        continue;
      }
      const box = fixBox(o.box, im.width, im.height, { file: im.xml, field: `${o.field}.bndbox` }, issues);
      if (box) kept.push({ box, label, difficult: o.difficult });
    }
    if (kept.length === 0) {
      issues.push({
        kind: 'image-no-annotations',
        file: im.xml,
        field: 'annotation',
        message: `${im.id} has no usable object`,
      });
    }
    return {
      imageId: i + 1,
      name: im.id,
      fileName: im.fileName,
      width: im.width,
      height: im.height,
      boxes: Float32Array.from(kept.flatMap((k) => k.box)),
      labels: Int32Array.from(kept, (k) => k.label),
      iscrowd: new Uint8Array(kept.length),
      difficult: Uint8Array.from(kept, (k) => k.difficult),
      annotationIds: new Float64Array(kept.length),
    };
  });
  const categories: Category[] = classes.map((name, i) => ({ label: i + 1, id: i + 1, name }));
  return { format: 'voc', source: listFile, records, categories, issues };
}

/** Class names from `<root>/labels.txt`, or undefined when there is no such file. */
async function readLabelsFile(root: string): Promise<string[] | undefined> {
  const file = path.join(root, 'labels.txt');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length === 0) throw new DatasetError(file, undefined, 'lists no class names');
  if (new Set(names).size !== names.length)
    throw new DatasetError(file, undefined, 'lists a class name twice');
  return names;
}

async function readVocXml(root: string, id: string, parser: XMLParser): Promise<VocImage> {
  const xml = path.join(root, 'Annotations', `${id}.xml`);
  let text: string;
  try {
    text = await fs.readFile(xml, 'utf8');
  } catch (e) {
    throw new DatasetError(
      xml,
      undefined,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); image id ${id} is listed in the split`,
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const unclosed = /^Invalid '(\[[^\]]*\])' found/.exec(valid.err.msg);
    const what = unclosed
      ? `unclosed element(s) ${(JSON.parse(unclosed[1]) as string[]).map((t) => `<${t}>`).join(', ')} at the end (truncated file?)`
      : valid.err.msg;
    throw new DatasetError(xml, undefined, `is not well-formed XML (line ${valid.err.line}: ${what})`);
  }
  const doc = parser.parse(text) as Record<string, unknown>;
  const ann = doc.annotation as Record<string, unknown> | undefined;
  if (!ann || typeof ann !== 'object') throw new DatasetError(xml, 'annotation', 'root element is missing');
  const num = (v: unknown, field: string): number => {
    const n = typeof v === 'string' && v !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n))
      throw new DatasetError(
        xml,
        field,
        `must be a number, ${v === undefined ? 'it is missing' : `got ${JSON.stringify(v)}`}`,
      );
    return n;
  };
  const size = (ann.size ?? {}) as Record<string, unknown>;
  const width = num(size.width, 'annotation.size.width');
  const height = num(size.height, 'annotation.size.height');
  if (!(width > 0 && height > 0))
    throw new DatasetError(xml, 'annotation.size', `must be positive, got ${width}x${height}`);
  const fileName = typeof ann.filename === 'string' && ann.filename !== '' ? ann.filename : `${id}.jpg`;
  const objects = ((ann.object ?? []) as Record<string, unknown>[]).map((o, k): VocObject => {
    const field = `annotation.object[${k}]`;
    if (typeof o.name !== 'string' || o.name === '')
      throw new DatasetError(xml, `${field}.name`, 'is missing');
    const b = o.bndbox as Record<string, unknown> | undefined;
    if (!b || typeof b !== 'object') throw new DatasetError(xml, `${field}.bndbox`, 'is missing');
    const xmin = num(b.xmin, `${field}.bndbox.xmin`),
      ymin = num(b.ymin, `${field}.bndbox.ymin`);
    const xmax = num(b.xmax, `${field}.bndbox.xmax`),
      ymax = num(b.ymax, `${field}.bndbox.ymax`);
    const difficult =
      o.difficult === undefined || o.difficult === '' ? 0 : num(o.difficult, `${field}.difficult`) ? 1 : 0;
    return { name: o.name, box: [xmin - 1, ymin - 1, xmax, ymax], difficult, field };
  });
  return { id, xml, fileName: path.join(root, 'JPEGImages', fileName), width, height, objects };
}
