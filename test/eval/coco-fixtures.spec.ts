import { readFileSync } from 'fs';
import * as path from 'path';
import { evaluateCoco } from '@resdet/eval';

// Parity with pycocotools on the shared fixtures (../shared/fixtures beside the repo root; gt `area` is a mask
// area as in real COCO). expected.json holds pycocotools' 12 stats and per-category AP / AP50 (area all,
// maxDets 100). Tolerance 1e-9 (the implementation currently matches them bit for bit).
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'coco-eval');
const TOL = 1e-9;

interface Expected {
  stats: number[];
  per_category_ap: Record<string, number>;
}
const read = (name: string, file: string): unknown =>
  JSON.parse(readFileSync(path.join(FIXTURES, name, file), 'utf8'));

describe.each(['small', 'medium', 'edge'])('pycocotools parity: coco-eval/%s', (name) => {
  const expected = read(name, 'expected.json') as Expected;
  const result = evaluateCoco(read(name, 'gt.json'), read(name, 'dt.json'), {
    gtSource: 'gt.json',
    dtSource: 'dt.json',
  });

  it('reproduces the 12 summary stats to 1e-9', () => {
    expect(result.stats).toHaveLength(12);
    result.stats.forEach((s, i) => expect(Math.abs(s - expected.stats[i])).toBeLessThanOrEqual(TOL));
  });

  it('reproduces per-category AP@[.5:.95] and AP50 to 1e-9', () => {
    const keys = Object.keys(expected.per_category_ap);
    expect(keys.length).toBe(2 * result.perCategory.length);
    for (const c of result.perCategory) {
      expect(Math.abs(c.ap - expected.per_category_ap[String(c.catId)])).toBeLessThanOrEqual(TOL);
      expect(Math.abs(c.ap50 - expected.per_category_ap[`${c.catId}@50`])).toBeLessThanOrEqual(TOL);
    }
  });
});
