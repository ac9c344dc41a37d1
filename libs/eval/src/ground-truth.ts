import { AnnotationTable, allocTable } from './annotation-table';
import { EvalError } from './eval-error';
import { showValue } from './load-results';

/** A validated COCO ground truth: the image and category ids in file order, and the annotations as a table. */
export interface GroundTruth {
  readonly imageIds: readonly number[];
  readonly categoryIds: readonly number[];
  /** Category id → name (for reports). */
  readonly categoryNames: ReadonlyMap<number, string>;
  readonly table: AnnotationTable;
}

function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/**
 * Validates a COCO ground-truth object and packs its annotations into typed arrays.
 * `iscrowd` defaults to 0; an `ignore` field is overridden by `iscrowd` exactly as pycocotools does.
 *
 * @param source a file name for error messages (e.g. `gt.json`)
 * @throws EvalError naming the field and index, e.g. `ground truth gt.json: annotations[7].area is missing`
 */
export function loadGroundTruth(data: unknown, source = 'ground truth'): GroundTruth {
  const where = `ground truth ${source}`;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new EvalError(`${where}: expected a COCO object with images, annotations and categories`);
  }
  const d = data as Record<string, unknown>;
  for (const f of ['images', 'annotations', 'categories']) {
    if (!Array.isArray(d[f]))
      throw new EvalError(`${where}: field "${f}" must be an array, got ${typeof d[f]}`);
  }
  const images = d.images as Record<string, unknown>[];
  const imageIds = images.map((im, i) => {
    if (!im || !isNum(im.id))
      throw new EvalError(`${where}: images[${i}].id is ${JSON.stringify(im?.id)}, must be a number`);
    return im.id;
  });
  const categoryNames = new Map<number, string>();
  const categoryIds = (d.categories as Record<string, unknown>[]).map((c, i) => {
    if (!c || !isNum(c.id)) {
      throw new EvalError(`${where}: categories[${i}].id is ${JSON.stringify(c?.id)}, must be a number`);
    }
    categoryNames.set(c.id, typeof c.name === 'string' ? c.name : String(c.id));
    return c.id;
  });
  const anns = d.annotations as Record<string, unknown>[];
  const t = allocTable(anns.length);
  for (let r = 0; r < anns.length; r++) {
    const a = anns[r];
    const at = `${where}: annotations[${r}]`;
    if (a === null || typeof a !== 'object') throw new EvalError(`${at} is not an object`);
    for (const f of ['id', 'image_id', 'category_id', 'area'] as const) {
      if (a[f] === undefined) throw new EvalError(`${at}.${f} is missing`);
      if (!isNum(a[f])) throw new EvalError(`${at}.${f} is ${showValue(a[f])}, must be a finite number`);
    }
    const bb = a.bbox;
    if (!Array.isArray(bb) || bb.length !== 4) {
      throw new EvalError(`${at}.bbox is ${JSON.stringify(bb)}, must be [x, y, w, h]`);
    }
    for (let j = 0; j < 4; j++) {
      if (!isNum(bb[j]))
        throw new EvalError(`${at}.bbox[${j}] is ${showValue(bb[j])}, must be a finite number`);
      t.box[r * 4 + j] = bb[j];
    }
    t.id[r] = a.id as number;
    t.imageId[r] = a.image_id as number;
    t.categoryId[r] = a.category_id as number;
    t.area[r] = a.area as number;
    t.crowd[r] = a.iscrowd ? 1 : 0;
  }
  return { imageIds, categoryIds, categoryNames, table: t };
}
