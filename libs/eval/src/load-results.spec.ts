import { EvalError } from './eval-error';
import { loadResults } from './load-results';

describe('loadResults (loadRes semantics)', () => {
  const imgs = new Set([1, 2]);
  const ok = { image_id: 1, category_id: 3, bbox: [10, 20, 30, 40], score: 0.5 };

  it('sets area = w·h, id = position + 1, and keeps boxes as given', () => {
    const { table, warnings } = loadResults([ok, { ...ok, image_id: 2, bbox: [0, 0, 2.5, 4] }], imgs);
    expect(warnings).toEqual([]);
    expect(Array.from(table.id)).toEqual([1, 2]);
    expect(Array.from(table.area)).toEqual([1200, 10]);
    expect(Array.from(table.box.subarray(0, 4))).toEqual([10, 20, 30, 40]);
    expect(Array.from(table.crowd)).toEqual([0, 0]);
  });

  it('warns on an empty list instead of failing', () => {
    const r = loadResults([], imgs, 'dt.json');
    expect(r.table.n).toBe(0);
    expect(r.warnings[0]).toContain('results dt.json: the results list is empty');
  });

  it.each([
    [{ ...ok, score: NaN }, 'results dt.json: [1].score is NaN, must be a finite number'],
    [{ ...ok, bbox: [0, 0, -3, 4] }, 'results dt.json: [1].bbox[2] (width) is -3, must be >= 0'],
    [{ ...ok, bbox: [0, 0, 3] }, 'results dt.json: [1].bbox is [0,0,3], must be [x, y, w, h]'],
    [{ image_id: 1, bbox: [0, 0, 1, 1], score: 1 }, 'results dt.json: [1].category_id is missing'],
    [{ image_id: 1, category_id: 1, score: 1 }, 'results dt.json: [1].bbox is missing'],
    [{ ...ok, image_id: '1' }, 'results dt.json: [1].image_id is "1", must be a finite number'],
  ])('names the bad record: %j', (bad, message) => {
    expect(() => loadResults([ok, bad], imgs, 'dt.json')).toThrow(EvalError);
    expect(() => loadResults([ok, bad], imgs, 'dt.json')).toThrow(message);
  });

  it('rejects results for images that are not in the ground truth, naming the first', () => {
    expect(() => loadResults([ok, { ...ok, image_id: 7 }, { ...ok, image_id: 8 }], imgs, 'dt.json')).toThrow(
      'results dt.json: 2 result(s) have image ids not in the ground truth, e.g. image_id 7 at [1]',
    );
  });

  it('rejects anything but an array', () => {
    expect(() => loadResults({ annotations: [] }, imgs, 'dt.json')).toThrow(/expected a JSON array/);
  });
});
