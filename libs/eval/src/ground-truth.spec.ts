import { loadGroundTruth } from './ground-truth';

describe('loadGroundTruth', () => {
  const gt = {
    images: [{ id: 5 }, { id: 3 }],
    categories: [{ id: 2, name: 'cat' }, { id: 1 }],
    annotations: [
      { id: 1, image_id: 5, category_id: 2, bbox: [1, 2, 3, 4], area: 7.5 },
      { id: 2, image_id: 3, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 1, ignore: 0 },
      { id: 3, image_id: 3, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0, ignore: 1 },
    ],
  };

  it('keeps ids in file order, the annotation area, and iscrowd (ignore is overridden by iscrowd)', () => {
    const g = loadGroundTruth(gt);
    expect(g.imageIds).toEqual([5, 3]);
    expect(g.categoryIds).toEqual([2, 1]);
    expect(g.categoryNames.get(2)).toBe('cat');
    expect(g.categoryNames.get(1)).toBe('1');
    expect(Array.from(g.table.area)).toEqual([7.5, 100, 100]);
    expect(Array.from(g.table.crowd)).toEqual([0, 1, 0]);
    expect(Array.from(g.table.box.subarray(0, 4))).toEqual([1, 2, 3, 4]);
  });

  it('names the missing field and annotation', () => {
    const bad = {
      ...gt,
      annotations: [gt.annotations[0], { id: 9, image_id: 5, category_id: 2, bbox: [0, 0, 1, 1] }],
    };
    expect(() => loadGroundTruth(bad, 'gt.json')).toThrow(
      'ground truth gt.json: annotations[1].area is missing',
    );
    expect(() => loadGroundTruth({ images: [] }, 'gt.json')).toThrow('field "annotations" must be an array');
  });
});
