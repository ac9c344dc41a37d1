import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { readCocoDataset } from './coco-dataset';
import { DatasetError, ImageReadError, type DatasetIssue } from './data-error';
import type { DetectionDataset } from './detection-record';
import { readImage } from './image-io';
import { mapLimit } from './map-limit';
import { readVocDataset } from './voc-dataset';

export interface CheckDatasetOptions {
  format: 'coco' | 'voc';
  /**
   * COCO: an `instances_*.json`, or a root whose `annotations/instances_*.json` are all checked.
   * VOC: the root holding `Annotations/`, `JPEGImages/`, `ImageSets/Main/`.
   */
  path: string;
  /** VOC splits to check; default every `ImageSets/Main/<split>.txt` without an underscore in its name. */
  splits?: string[];
  /** Decode every image (default true); false only checks that the files exist. */
  decode?: boolean;
  /** Images decoded at once; default 4. */
  concurrency?: number;
}

/** Counts for one class across the checked splits. */
export interface ClassCount {
  split: string;
  label: number;
  id: number;
  name: string;
  images: number;
  boxes: number;
  crowd: number;
  difficult: number;
}

/** Distribution of a box measure in pixels. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface SplitReport {
  split: string;
  source: string;
  images: number;
  boxes: number;
  classes: ClassCount[];
  /** Over all boxes: width, height and sqrt(area), and COCO's size buckets by box area (< 32², < 96², more). */
  boxWidth: Spread;
  boxHeight: Spread;
  boxSide: Spread;
  sizeBuckets: { small: number; medium: number; large: number };
}

export interface CheckReport {
  splits: SplitReport[];
  /** Every problem found, each naming the file and the field; empty means the dataset is fine. */
  problems: DatasetIssue[];
  /**
   * Legal but worth knowing, in the same form: images without a usable annotation (COCO keeps such negatives
   * in its splits; training skips them unless asked otherwise).
   */
  notes: DatasetIssue[];
}

/** Issue kinds that are legal in a dataset: reported as notes, not problems. */
export const NOTE_KINDS: ReadonlySet<string> = new Set(['image-no-annotations']);

/**
 * Validates a dataset the way training would read it, and more strictly: the annotation files parse and
 * have every field ({@link readCocoDataset}, {@link readVocDataset}), ids are consistent, every referenced image
 * exists, decodes and has the annotated size, and every box lies inside its image. Problems are collected
 * (not thrown) so one run lists them all; a structural error stops only its own split. Images without
 * annotations are notes ({@link NOTE_KINDS}), not problems.
 *
 * @example
 * const report = await checkDataset({ format: 'coco', path: 'data/shapes' });
 * if (report.problems.length) process.exitCode = 1;
 */
export async function checkDataset(opts: CheckDatasetOptions): Promise<CheckReport> {
  const problems: DatasetIssue[] = [];
  const notes: DatasetIssue[] = [];
  const splits: SplitReport[] = [];
  for (const target of await splitTargets(opts)) {
    let ds: DetectionDataset;
    const report = (e: DatasetError) =>
      problems.push({ kind: 'format', file: e.file, field: e.field ?? '', message: e.detail });
    try {
      ds =
        opts.format === 'coco'
          ? await readCocoDataset({ annotationFile: target.source })
          : await readVocDataset({ root: opts.path, split: target.split, onBadAnnotation: report });
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      report(e);
      continue;
    }
    for (const issue of ds.issues) (NOTE_KINDS.has(issue.kind) ? notes : problems).push(issue);
    await mapLimit(ds.records, opts.concurrency ?? 4, async (r) => {
      if (opts.decode === false) {
        if (!existsSync(r.fileName))
          problems.push({
            kind: 'image-missing',
            file: r.fileName,
            field: 'image',
            message: `referenced by ${ds.source} (${r.name}) does not exist`,
          });
        return;
      }
      try {
        const img = await readImage(r.fileName);
        if (img.width !== r.width || img.height !== r.height) {
          problems.push({
            kind: 'image-size',
            file: r.fileName,
            field: 'size',
            message: `is ${img.width}x${img.height} but ${ds.source} says ${r.width}x${r.height} (${r.name})`,
          });
        }
      } catch (e) {
        if (!(e instanceof ImageReadError)) throw e;
        problems.push({
          kind: 'image-unreadable',
          file: r.fileName,
          field: 'image',
          message: `${e.reason}: ${e.detail} (referenced by ${ds.source})`,
        });
      }
    });
    splits.push(summarise(target.split, ds));
  }
  return { splits, problems, notes };
}

async function splitTargets(opts: CheckDatasetOptions): Promise<{ split: string; source: string }[]> {
  const p = path.resolve(opts.path);
  if (opts.format === 'coco') {
    if (existsSync(p) && statSync(p).isFile())
      return [{ split: path.basename(p, '.json').replace(/^instances_/, ''), source: p }];
    const dir = path.join(p, 'annotations');
    const files = existsSync(dir)
      ? (await fs.readdir(dir)).filter((f) => /^instances_.*\.json$/.test(f)).sort()
      : [];
    if (files.length === 0)
      throw new DatasetError(
        p,
        undefined,
        'is neither a COCO instances JSON file nor a folder with annotations/instances_*.json',
      );
    return files.map((f) => ({
      split: f.replace(/^instances_/, '').replace(/\.json$/, ''),
      source: path.join(dir, f),
    }));
  }
  if (opts.splits?.length)
    return opts.splits.map((s) => ({ split: s, source: path.join(p, 'ImageSets', 'Main', `${s}.txt`) }));
  const dir = path.join(p, 'ImageSets', 'Main');
  const files = existsSync(dir)
    ? (await fs.readdir(dir)).filter((f) => f.endsWith('.txt') && !f.includes('_')).sort()
    : [];
  if (files.length === 0)
    throw new DatasetError(
      p,
      undefined,
      'has no ImageSets/Main/<split>.txt; is it a VOC root (the folder holding Annotations/ and JPEGImages/)?',
    );
  return files.map((f) => ({ split: f.replace(/\.txt$/, ''), source: path.join(dir, f) }));
}

function summarise(split: string, ds: DetectionDataset): SplitReport {
  const classes: ClassCount[] = ds.categories.map((c) => ({
    split,
    label: c.label,
    id: c.id,
    name: c.name,
    images: 0,
    boxes: 0,
    crowd: 0,
    difficult: 0,
  }));
  const ws: number[] = [],
    hs: number[] = [],
    sides: number[] = [];
  const buckets = { small: 0, medium: 0, large: 0 };
  for (const r of ds.records) {
    const inImage = new Set<number>();
    for (let i = 0; i < r.labels.length; i++) {
      const c = classes[r.labels[i] - 1];
      c.boxes++;
      c.crowd += r.iscrowd[i];
      c.difficult += r.difficult[i];
      inImage.add(r.labels[i]);
      const w = r.boxes[4 * i + 2] - r.boxes[4 * i],
        h = r.boxes[4 * i + 3] - r.boxes[4 * i + 1];
      ws.push(w);
      hs.push(h);
      sides.push(Math.sqrt(w * h));
      const a = w * h;
      if (a < 32 * 32) buckets.small++;
      else if (a < 96 * 96) buckets.medium++;
      else buckets.large++;
    }
    for (const l of inImage) classes[l - 1].images++;
  }
  return {
    split,
    source: ds.source,
    images: ds.records.length,
    boxes: ws.length,
    classes,
    boxWidth: spread(ws),
    boxHeight: spread(hs),
    boxSide: spread(sides),
    sizeBuckets: buckets,
  };
}

function spread(v: number[]): Spread {
  if (v.length === 0) return { min: 0, median: 0, max: 0 };
  const s = [...v].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}
