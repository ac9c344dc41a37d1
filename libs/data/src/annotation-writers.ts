import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** One object to write, in resdet's convention: `box` is `xyxy`, absolute, 0-based pixel edges. */
export interface WritableObject {
  /** COCO `category_id`; ignored by the VOC writer. */
  categoryId: number;
  /** Class name; used by the VOC writer. */
  name: string;
  box: readonly [number, number, number, number] | readonly number[];
  iscrowd?: boolean;
  difficult?: boolean;
  truncated?: boolean;
  /** COCO `area`; defaults to the box area. */
  area?: number;
  /** COCO polygon `segmentation` (one flat polygon); defaults to the box as a polygon. */
  polygon?: readonly number[];
}

export interface WritableImage {
  id: number;
  /** File name relative to the image folder (`000000000001.jpg`). */
  fileName: string;
  width: number;
  height: number;
  objects: readonly WritableObject[];
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Builds a COCO instances document (`images`, `annotations`, `categories`, plus `info` and `licenses`) with
 * boxes converted from `xyxy` to COCO's `[x, y, w, h]`. Annotation ids run 1, 2, … in image order.
 */
export function buildCocoInstances(
  images: readonly WritableImage[],
  categories: readonly { id: number; name: string }[],
  description = 'resdet',
): object {
  let annId = 1;
  const annotations: object[] = [];
  for (const im of images) {
    for (const o of im.objects) {
      const [x1, y1, x2, y2] = o.box;
      annotations.push({
        id: annId++,
        image_id: im.id,
        category_id: o.categoryId,
        bbox: [r2(x1), r2(y1), r2(x2 - x1), r2(y2 - y1)],
        area: r2(o.area ?? (x2 - x1) * (y2 - y1)),
        iscrowd: o.iscrowd ? 1 : 0,
        segmentation: [o.polygon ? [...o.polygon] : [x1, y1, x2, y1, x2, y2, x1, y2]],
      });
    }
  }
  return {
    info: { description, version: '1.0', year: 2017 },
    licenses: [],
    images: images.map((im) => ({ id: im.id, file_name: im.fileName, width: im.width, height: im.height })),
    annotations,
    categories: categories.map((c) => ({ id: c.id, name: c.name, supercategory: 'shape' })),
  };
}

/** Writes {@link buildCocoInstances} as JSON, creating the folder. */
export async function writeCocoInstances(
  file: string,
  images: readonly WritableImage[],
  categories: readonly { id: number; name: string }[],
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(buildCocoInstances(images, categories)));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A PASCAL VOC annotation XML for one image. Boxes go from resdet's 0-based pixel edges to VOC's 1-based
 * inclusive pixel indices: `xmin = x1 + 1, ymin = y1 + 1, xmax = x2, ymax = y2` (rounded to integers, as VOC
 * stores them), the inverse of what the VOC reader does.
 */
export function buildVocXml(im: WritableImage, folder = 'VOC2007'): string {
  const objs = im.objects
    .map((o) => {
      const [x1, y1, x2, y2] = o.box.map((v) => Math.round(v));
      return [
        '\t<object>',
        `\t\t<name>${esc(o.name)}</name>`,
        '\t\t<pose>Unspecified</pose>',
        `\t\t<truncated>${o.truncated ? 1 : 0}</truncated>`,
        `\t\t<difficult>${o.difficult ? 1 : 0}</difficult>`,
        '\t\t<bndbox>',
        `\t\t\t<xmin>${x1 + 1}</xmin>`,
        `\t\t\t<ymin>${y1 + 1}</ymin>`,
        `\t\t\t<xmax>${x2}</xmax>`,
        `\t\t\t<ymax>${y2}</ymax>`,
        '\t\t</bndbox>',
        '\t</object>',
      ].join('\n');
    })
    .join('\n');
  return (
    [
      '<annotation>',
      `\t<folder>${esc(folder)}</folder>`,
      `\t<filename>${esc(im.fileName)}</filename>`,
      '\t<source><database>resdet</database></source>',
      `\t<size><width>${im.width}</width><height>${im.height}</height><depth>3</depth></size>`,
      '\t<segmented>0</segmented>',
      objs,
      '</annotation>',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n'
  );
}
