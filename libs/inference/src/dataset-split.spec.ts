import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import {
  detectDatasetFormat,
  readDetectionSplit,
  readDetectionSplits,
  recordsToCocoGt,
  splitGroundTruth,
} from './dataset-split';

describe('the dataset path: splits and their COCO ground truth', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-split-'));

  beforeAll(async () => {
    for (const format of ['coco', 'voc'] as const) {
      await writeShapesDataset({ out: path.join(root, format), format, count: 3, valCount: 2, seed: 3 });
    }
  });

  it('tells COCO and VOC trees apart', () => {
    expect(detectDatasetFormat(path.join(root, 'coco'))).toBe('coco');
    expect(detectDatasetFormat(path.join(root, 'voc'))).toBe('voc');
  });

  it('VOC ground truth from records matches the COCO file of the same images', async () => {
    const coco = { root: path.join(root, 'coco'), format: 'coco' as const };
    const voc = { root: path.join(root, 'voc'), format: 'voc' as const };
    const cocoVal = await readDetectionSplit(coco, 'val');
    const cocoGt = splitGroundTruth(coco, 'val', cocoVal);
    const vocGt = splitGroundTruth(voc, 'val', await readDetectionSplit(voc, 'val'));
    expect(vocGt.annotations.length).toBe(cocoGt.annotations.length);
    expect(vocGt.annotations.length).toBeGreaterThan(0);
    const a = vocGt.annotations[0];
    expect(a.area).toBeCloseTo(a.bbox[2] * a.bbox[3], 6);
    expect(recordsToCocoGt(cocoVal).images.map((i) => i.id)).toEqual(cocoGt.images.map((i) => i.id));
  });

  it('reads train and val with the same classes', async () => {
    const { train, val, valGt } = await readDetectionSplits({ root: path.join(root, 'voc'), format: 'voc' });
    expect(train.records.length).toBe(3);
    expect(val.categories).toEqual(train.categories);
    expect(valGt.images).toHaveLength(2);
  });
});
