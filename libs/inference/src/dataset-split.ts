import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCocoDataset, readVocDataset, type DetectionDataset } from '@resdet/data';
import type { CocoDataset } from '@resdet/eval';

/** A dataset on disk: a COCO-2017 tree (`annotations/instances_<split>.json`) or a VOC2007 tree. */
export interface DatasetLocation {
  root: string;
  format: 'coco' | 'voc';
  /** Split names; default `train` and `val`. */
  trainSplit?: string;
  valSplit?: string;
}

export interface ReadSplitOptions {
  /** Leave out images without objects (training). */
  skipEmpty?: boolean;
  /** VOC: class names in label order (a val split takes the train split's). */
  classes?: readonly string[];
}

/** `coco` when the tree has an `annotations/` folder, else `voc`. */
export function detectDatasetFormat(root: string): 'coco' | 'voc' {
  return existsSync(path.join(root, 'annotations')) ? 'coco' : 'voc';
}

/** The annotation file of a COCO split. */
export function cocoAnnotationFile(root: string, split: string): string {
  return path.join(root, 'annotations', `instances_${split}.json`);
}

/** One split of a dataset tree as records (`xyxy` boxes, labels 1..K). */
export async function readDetectionSplit(
  loc: Pick<DatasetLocation, 'root' | 'format'>,
  split: string,
  opts: ReadSplitOptions = {},
): Promise<DetectionDataset> {
  if (loc.format === 'coco') {
    return readCocoDataset({
      annotationFile: cocoAnnotationFile(loc.root, split),
      skipEmpty: opts.skipEmpty,
    });
  }
  return readVocDataset({ root: loc.root, split, classes: opts.classes });
}

/**
 * COCO ground truth of a split that was read with {@link readDetectionSplit}: the annotation file itself for COCO
 * (crowd regions and mask areas as they are), {@link recordsToCocoGt} for VOC.
 */
export function splitGroundTruth(
  loc: Pick<DatasetLocation, 'root' | 'format'>,
  split: string,
  ds: DetectionDataset,
): CocoDataset {
  if (loc.format === 'voc') return recordsToCocoGt(ds);
  return JSON.parse(readFileSync(cocoAnnotationFile(loc.root, split), 'utf8')) as CocoDataset;
}

/** Reads the train and val splits of a dataset tree (VOC val takes train's class order) and val's ground truth. */
export async function readDetectionSplits(
  loc: DatasetLocation,
): Promise<{ train: DetectionDataset; val: DetectionDataset; valGt: CocoDataset }> {
  const valSplit = loc.valSplit ?? 'val';
  const train = await readDetectionSplit(loc, loc.trainSplit ?? 'train', { skipEmpty: true });
  const val = await readDetectionSplit(loc, valSplit, { classes: train.categories.map((c) => c.name) });
  return { train, val, valGt: splitGroundTruth(loc, valSplit, val) };
}

/** COCO ground truth from records (VOC): `area` = box area, difficult objects left out, no crowd regions. */
export function recordsToCocoGt(ds: DetectionDataset): CocoDataset {
  const annotations: CocoDataset['annotations'] = [];
  for (const r of ds.records) {
    for (let i = 0; i < r.labels.length; i++) {
      if (r.difficult[i]) continue;
      const [x1, y1, x2, y2] = r.boxes.subarray(4 * i, 4 * i + 4);
      annotations.push({
        id: annotations.length + 1,
        image_id: r.imageId,
        category_id: ds.categories[r.labels[i] - 1].id,
        bbox: [x1, y1, x2 - x1, y2 - y1],
        area: (x2 - x1) * (y2 - y1),
        iscrowd: r.iscrowd[i],
      });
    }
  }
  return {
    images: ds.records.map((r) => ({ id: r.imageId, width: r.width, height: r.height, file_name: r.name })),
    annotations,
    categories: ds.categories.map((c) => ({ id: c.id, name: c.name })),
  };
}
