import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CategoryMap } from './category-map';
import { DatasetError, type DatasetIssue } from './data-error';
import { fixBox } from './box-fixup';
import type { DetectionDataset, DetectionRecord } from './detection-record';

export interface ReadCocoOptions {
  /** `instances_*.json`. */
  annotationFile: string;
  /** Folder the `file_name`s are relative to; default {@link cocoImageDir} of the annotation file. */
  imageDir?: string;
  /** Leave out images with no non-crowd box (torchvision's reference does this for training). Default false. */
  skipEmpty?: boolean;
}

/**
 * The image folder of a COCO-2017 style tree: for `ROOT/annotations/instances_val.json` (or `…_val2017.json`)
 * it is `ROOT/val` (or `ROOT/val2017`), whichever exists, else `ROOT/val`.
 */
export function cocoImageDir(annotationFile: string): string {
  const abs = path.resolve(annotationFile);
  const split = path
    .basename(abs)
    .replace(/^instances_/, '')
    .replace(/\.json$/, '');
  const root = path.dirname(path.dirname(abs));
  const candidates = [split, split.replace(/2017$/, ''), `${split}2017`].map((s) => path.join(root, s));
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

/**
 * Reads a COCO instances file into {@link DetectionRecord}s, sorted by image id (as torchvision's
 * `CocoDetection`). Category ids map to contiguous labels by ascending id, names kept. `[x, y, w, h]` becomes
 * `xyxy`; boxes reaching outside their image are clipped, boxes with no area dropped, each reported in
 * `issues`. Crowd boxes are kept with `iscrowd = 1` (evaluation needs them; {@link trainingTarget} drops
 * them). Throws {@link DatasetError} naming the file and the field for malformed JSON, a missing or mistyped
 * field, duplicate ids, or an annotation pointing to an unknown image or category.
 *
 * @example
 * const ds = await readCocoDataset({ annotationFile: 'shapes/annotations/instances_val.json' });
 * ds.records[0].boxes; // Float32Array [x1, y1, x2, y2, …]
 */
export async function readCocoDataset(opts: ReadCocoOptions): Promise<DetectionDataset> {
  const file = opts.annotationFile;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetError(
      file,
      undefined,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(file, undefined, `is not valid JSON (${(e as Error).message})`);
  }
  const imageDir = path.resolve(opts.imageDir ?? cocoImageDir(file));
  const v = new FieldReader(file);
  const top = v.object(doc, '(top level)');
  const images = v.array(top.images, 'images');
  const anns = v.array(top.annotations, 'annotations');
  const cats = v.array(top.categories, 'categories');

  const catList = cats.map((c, i) => {
    const o = v.object(c, `categories[${i}]`);
    return { id: v.int(o.id, `categories[${i}].id`), name: v.string(o.name, `categories[${i}].name`) };
  });
  const seenCat = new Set<number>();
  catList.forEach((c, i) => {
    if (seenCat.has(c.id)) throw new DatasetError(file, `categories[${i}].id`, `${c.id} is used twice`);
    seenCat.add(c.id);
  });
  const map = new CategoryMap(catList);

  type Img = {
    id: number;
    name: string;
    width: number;
    height: number;
    objs: { box: number[]; label: number; crowd: number; annId: number }[];
  };
  const byId = new Map<number, Img>();
  images.forEach((im, i) => {
    const o = v.object(im, `images[${i}]`);
    const img: Img = {
      id: v.int(o.id, `images[${i}].id`),
      name: v.string(o.file_name, `images[${i}].file_name`),
      width: v.positive(o.width, `images[${i}].width`),
      height: v.positive(o.height, `images[${i}].height`),
      objs: [],
    };
    if (byId.has(img.id)) throw new DatasetError(file, `images[${i}].id`, `${img.id} is used twice`);
    byId.set(img.id, img);
  });

  const issues: DatasetIssue[] = [];
  anns.forEach((a, i) => {
    const f = `annotations[${i}]`;
    const o = v.object(a, f);
    const imageId = v.int(o.image_id, `${f}.image_id`);
    const img = byId.get(imageId);
    if (!img)
      throw new DatasetError(file, `${f}.image_id`, `${imageId} is not the id of any entry in images`);
    const catId = v.int(o.category_id, `${f}.category_id`);
    if (!map.has(catId)) {
      // Detectron2 and torchvision's reference scripts drop such annotations too; training goes on.
      issues.push({
        kind: 'unknown-category',
        file,
        field: `${f}.category_id`,
        message: `${catId} is not the id of any entry in categories; annotation dropped`,
      });
      return;
    }
    const bbox = o.bbox;
    if (
      !Array.isArray(bbox) ||
      bbox.length !== 4 ||
      !bbox.every((x) => typeof x === 'number' && Number.isFinite(x))
    ) {
      throw new DatasetError(
        file,
        `${f}.bbox`,
        `must be 4 finite numbers [x, y, w, h], got ${JSON.stringify(bbox)}`,
      );
    }
    const crowd = o.iscrowd === undefined ? 0 : v.int(o.iscrowd, `${f}.iscrowd`) ? 1 : 0;
    const annId = o.id === undefined ? 0 : v.int(o.id, `${f}.id`);
    const [x, y, w, h] = bbox as number[];
    const box = fixBox([x, y, x + w, y + h], img.width, img.height, { file, field: `${f}.bbox` }, issues);
    if (box) img.objs.push({ box, label: map.labelOf(catId), crowd, annId });
  });

  const records: DetectionRecord[] = [];
  for (const img of [...byId.values()].sort((a, b) => a.id - b.id)) {
    if (!img.objs.some((o) => !o.crowd)) {
      issues.push({
        kind: 'image-no-annotations',
        file,
        field: `images[id=${img.id}]`,
        message: `${img.name} has no usable (non-crowd) annotation${opts.skipEmpty ? '; skipped' : ''}`,
      });
    }
    if (opts.skipEmpty && !img.objs.some((o) => !o.crowd)) continue;
    records.push({
      imageId: img.id,
      name: img.name,
      fileName: path.resolve(imageDir, img.name),
      width: img.width,
      height: img.height,
      boxes: Float32Array.from(img.objs.flatMap((o) => o.box)),
      labels: Int32Array.from(img.objs, (o) => o.label),
      iscrowd: Uint8Array.from(img.objs, (o) => o.crowd),
      difficult: new Uint8Array(img.objs.length),
      annotationIds: Float64Array.from(img.objs, (o) => o.annId),
    });
  }
  return { format: 'coco', source: path.resolve(file), records, categories: [...map.categories], issues };
}

/** Typed access to parsed JSON that throws {@link DatasetError}s naming the file and field. */
class FieldReader {
  constructor(private readonly file: string) {}

  private fail(field: string, want: string, got: unknown): never {
    const shown = got === undefined ? 'it is missing' : `got ${JSON.stringify(got)?.slice(0, 60)}`;
    throw new DatasetError(this.file, field, `must be ${want}, ${shown}`);
  }

  object(x: unknown, field: string): Record<string, unknown> {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(field, 'an object', x);
    return x as Record<string, unknown>;
  }

  array(x: unknown, field: string): unknown[] {
    if (!Array.isArray(x)) this.fail(field, 'an array', x);
    return x as unknown[];
  }

  int(x: unknown, field: string): number {
    if (typeof x !== 'number' || !Number.isInteger(x)) this.fail(field, 'an integer', x);
    return x as number;
  }

  positive(x: unknown, field: string): number {
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) this.fail(field, 'a positive number', x);
    return x as number;
  }

  string(x: unknown, field: string): string {
    if (typeof x !== 'string' || x.length === 0) this.fail(field, 'a non-empty string', x);
    return x as string;
  }
}
