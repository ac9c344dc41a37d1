import { promises as fs } from 'node:fs';
import type { DatasetIssue } from './data-error';
import type { DetectionDataset } from './detection-record';
import { mapLimit } from './map-limit';

/**
 * The split without the records whose image file is missing, empty or not a file (one `stat` each, no
 * decoding), each reported as an `image-missing` issue: a training run drops such images up front instead of
 * failing when the loader reaches them. Files that exist but do not decode are `dataset check`'s to find.
 *
 * @example
 * const train = await dropMissingImages(await readCocoDataset({ annotationFile }));
 * train.issues.filter((i) => i.kind === 'image-missing');
 */
export async function dropMissingImages(ds: DetectionDataset, concurrency = 16): Promise<DetectionDataset> {
  const why = await mapLimit(ds.records, concurrency, async (r) => {
    try {
      const st = await fs.stat(r.fileName);
      if (!st.isFile()) return 'is not a file';
      return st.size === 0 ? 'is an empty file (0 bytes)' : undefined;
    } catch {
      return 'does not exist';
    }
  });
  if (why.every((w) => w === undefined)) return ds;
  const issues: DatasetIssue[] = [];
  why.forEach((w, i) => {
    if (w === undefined) return;
    const r = ds.records[i];
    issues.push({
      kind: 'image-missing',
      file: ds.source,
      field: `image ${r.name}`,
      message: `${r.fileName} ${w}; image dropped`,
    });
  });
  return {
    ...ds,
    records: ds.records.filter((_, i) => why[i] === undefined),
    issues: [...ds.issues, ...issues],
  };
}
