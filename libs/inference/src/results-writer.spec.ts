import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ResultsWriter, readCompletedImages } from './results-writer';
import type { Detection } from './detection-types';

const det = (score: number): Detection => ({
  label: 'cat',
  categoryId: 17,
  score,
  box: { x1: 10, y1: 20, x2: 40.5, y2: 60 },
});

describe('ResultsWriter', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-out-'));

  it('writes a valid COCO results array with xywh boxes', async () => {
    const f = path.join(dir, 'r.json');
    const w = await ResultsWriter.open(f, 'json');
    await w.write({ fileName: 'a.jpg', imageId: 3, width: 100, height: 80 }, [det(0.9), det(0.5)]);
    await w.write({ fileName: 'b.jpg', width: 100, height: 80 }, []);
    await w.close();
    const recs = JSON.parse(readFileSync(f, 'utf8'));
    expect(recs).toHaveLength(2);
    expect(recs[0]).toEqual({
      file_name: 'a.jpg',
      image_id: 3,
      category_id: 17,
      label: 'cat',
      bbox: [10, 20, 30.5, 40],
      score: 0.9,
    });
  });

  it('writes an empty array when nothing was detected', async () => {
    const f = path.join(dir, 'empty.json');
    const w = await ResultsWriter.open(f, 'json');
    await w.close();
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual([]);
  });

  it('NDJSON: one line per image; resume reads completed images and drops a cut-off last line', async () => {
    const f = path.join(dir, 'r.ndjson');
    const w = await ResultsWriter.open(f, 'ndjson');
    await w.write({ fileName: 'a.jpg', width: 10, height: 10 }, [det(0.9)]);
    await w.write({ fileName: 'b.jpg', width: 10, height: 10 }, []);
    await w.close();
    appendFileSync(f, '{"file_name":"c.jp');
    const done = await readCompletedImages(f);
    expect([...done]).toEqual(['a.jpg', 'b.jpg']);
    expect(readFileSync(f, 'utf8').endsWith('}\n')).toBe(true);
    const w2 = await ResultsWriter.open(f, 'ndjson', { append: true });
    await w2.write({ fileName: 'c.jpg', width: 10, height: 10 }, []);
    await w2.close();
    const lines = readFileSync(f, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).file_name);
    expect(lines).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
  });
});
