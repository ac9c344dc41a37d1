import { accumulateCoco } from './coco-evaluator';
import { loadGroundTruth } from './ground-truth';
import { loadResults } from './load-results';

describe('accumulateCoco', () => {
  const gtJson = {
    images: [{ id: 2 }, { id: 1 }],
    categories: [{ id: 9 }, { id: 4 }],
    annotations: [
      { id: 1, image_id: 1, category_id: 4, bbox: [0, 0, 50, 50], area: 2500 },
      { id: 2, image_id: 2, category_id: 9, bbox: [0, 0, 50, 50], area: 2500 },
    ],
  };
  const gt = loadGroundTruth(gtJson);
  const dt = loadResults(
    [
      { image_id: 1, category_id: 4, bbox: [0, 0, 50, 50], score: 0.9 },
      { image_id: 2, category_id: 9, bbox: [300, 300, 50, 50], score: 0.9 },
    ],
    new Set(gt.imageIds),
  ).table;

  it('lays out precision [T, R, K, A, M] and recall [T, K, A, M] with sorted ids, -1 where nothing is measured', () => {
    const acc = accumulateCoco(gt, dt);
    expect(acc.params.imgIds).toEqual([1, 2]);
    expect(acc.params.catIds).toEqual([4, 9]);
    expect(acc.counts).toEqual([10, 101, 2, 4, 3]);
    const [, R, K, A, M] = acc.counts;
    const prec = (t: number, r: number, k: number, a: number, m: number) =>
      acc.precision[(((t * R + r) * K + k) * A + a) * M + m];
    const rec = (t: number, k: number, a: number, m: number) => acc.recall[((t * K + k) * A + a) * M + m];
    expect(prec(0, 0, 0, 0, 2)).toBeCloseTo(1, 12); // cat 4: found
    expect(prec(0, 0, 1, 0, 2)).toBe(0); // cat 9: only a miss
    expect(rec(9, 0, 0, 0)).toBe(1);
    expect(rec(9, 1, 0, 0)).toBe(0);
    expect(prec(0, 0, 0, 1, 2)).toBe(-1); // no small gt
    expect(rec(0, 0, 3, 2)).toBe(-1); // no large gt
  });

  it('restricts to the given imgIds and catIds', () => {
    const acc = accumulateCoco(gt, dt, { imgIds: [1], catIds: [4, 9] });
    const [, R, K, A, M] = acc.counts;
    expect(acc.params.imgIds).toEqual([1]);
    // category 9's only gt is on image 2, which is not evaluated: -1
    expect(acc.precision[(((0 * R + 0) * K + 1) * A + 0) * M + 2]).toBe(-1);
  });
});
