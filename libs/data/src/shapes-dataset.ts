import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { buildVocXml, writeCocoInstances, type WritableImage } from './annotation-writers';
import {
  generateShapeSample,
  resolveShapesOptions,
  shapeSampleRng,
  type ShapesOptions,
} from './shapes-generator';

export interface WriteShapesOptions {
  /** Output folder (created; existing files with the same names are overwritten). */
  out: string;
  format: 'coco' | 'voc';
  /** Training and validation images. */
  count: number;
  valCount: number;
  seed: number;
  /** How the images look (size, classes, objects per image …); see {@link ShapesOptions}. */
  shapes?: Partial<ShapesOptions>;
  /** Image file type; default `jpg` (quality 92, 4:4:4), `png` is lossless. */
  imageFormat?: 'jpg' | 'png';
  /** Called after each image is written. */
  onProgress?: (done: number, total: number) => void;
}

export interface ShapesDatasetSummary {
  root: string;
  format: 'coco' | 'voc';
  classes: string[];
  splits: { split: 'train' | 'val'; images: number; objects: number; annotation: string }[];
}

/**
 * Writes a detection dataset of generated shapes, deterministic for `seed`:
 *
 * - `coco`: COCO-2017 style — `annotations/instances_train.json`, `annotations/instances_val.json`,
 *   `train/000000000001.jpg …`, `val/…` (image ids: train 1..count, val count+1..count+valCount; category ids
 *   1..K in class order; `bbox` `[x, y, w, h]`; `segmentation` the shape's outline polygon; `area` its area).
 * - `voc`: VOC2007 style — `Annotations/000001.xml`, `JPEGImages/000001.jpg`, `ImageSets/Main/train.txt`,
 *   `ImageSets/Main/val.txt`, 1-based inclusive boxes, and `labels.txt` (the class names in label order, which
 *   the VOC reader uses so that a split missing a class still gets the same labels).
 *
 * @example
 * await writeShapesDataset({ out: 'data/shapes', format: 'coco', count: 1000, valCount: 200, seed: 0 });
 */
export async function writeShapesDataset(opts: WriteShapesOptions): Promise<ShapesDatasetSummary> {
  const shapes = resolveShapesOptions(opts.shapes);
  const ext = opts.imageFormat ?? 'jpg';
  const root = path.resolve(opts.out);
  const classes = [...shapes.classes];
  const categories = classes.map((name, i) => ({ id: i + 1, name }));
  const total = opts.count + opts.valCount;
  const splits: ShapesDatasetSummary['splits'] = [];
  let done = 0;
  for (const [split, n, offset] of [
    ['train', opts.count, 0],
    ['val', opts.valCount, opts.count],
  ] as const) {
    const imageDir = opts.format === 'coco' ? path.join(root, split) : path.join(root, 'JPEGImages');
    await fs.mkdir(imageDir, { recursive: true });
    if (opts.format === 'voc') await fs.mkdir(path.join(root, 'Annotations'), { recursive: true });
    const images: WritableImage[] = [];
    const pending = new Set<Promise<void>>();
    let objects = 0;
    for (let i = 0; i < n; i++) {
      const id = offset + i + 1;
      const sample = generateShapeSample(shapeSampleRng(opts.seed, split, i), shapes);
      const stem = opts.format === 'coco' ? String(id).padStart(12, '0') : String(id).padStart(6, '0');
      const im: WritableImage = {
        id,
        fileName: `${stem}.${ext}`,
        width: shapes.width,
        height: shapes.height,
        objects: sample.objects.map((o) => ({
          categoryId: o.label,
          name: o.shape,
          box: o.box,
          area: o.area,
          polygon: o.polygon,
        })),
      };
      images.push(im);
      objects += im.objects.length;
      const write = async () => {
        const img = sharp(
          Buffer.from(sample.image.data.buffer, sample.image.data.byteOffset, sample.image.data.byteLength),
          {
            raw: { width: sample.image.width, height: sample.image.height, channels: 3 },
          },
        );
        const enc = ext === 'jpg' ? img.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }) : img.png();
        await enc.toFile(path.join(imageDir, im.fileName));
        if (opts.format === 'voc')
          await fs.writeFile(path.join(root, 'Annotations', `${stem}.xml`), buildVocXml(im));
        opts.onProgress?.(++done, total);
      };
      const p: Promise<void> = write().finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= 4) await Promise.race(pending);
    }
    await Promise.all(pending);
    let annotation: string;
    if (opts.format === 'coco') {
      annotation = path.join(root, 'annotations', `instances_${split}.json`);
      await writeCocoInstances(annotation, images, categories);
    } else {
      annotation = path.join(root, 'ImageSets', 'Main', `${split}.txt`);
      await fs.mkdir(path.dirname(annotation), { recursive: true });
      await fs.writeFile(annotation, images.map((im) => im.fileName.replace(/\.[^.]+$/, '') + '\n').join(''));
      await fs.writeFile(path.join(root, 'labels.txt'), classes.join('\n') + '\n');
    }
    splits.push({ split, images: n, objects, annotation });
  }
  return { root, format: opts.format, classes, splits };
}
