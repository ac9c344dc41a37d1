import { allocTable } from './annotation-table';
import { groupRows } from './group-rows';

describe('groupRows', () => {
  // rows: (img, cat) = (20,1) (10,2) (10,1) (20,1) (99,1: not evaluated) (10,7: not evaluated)
  const t = allocTable(6);
  t.imageId.set([20, 10, 10, 20, 99, 10]);
  t.categoryId.set([1, 2, 1, 1, 1, 7]);
  const imgs = new Map([
    [10, 0],
    [20, 1],
  ]);
  const cats = new Map([
    [1, 0],
    [2, 1],
  ]);
  const group = (g: ReturnType<typeof groupRows>, i: number) =>
    Array.from(g.rows.subarray(g.offsets[i], g.offsets[i + 1]));

  it('groups by (category, image) in input order, dropping rows not evaluated', () => {
    const g = groupRows(t, imgs, cats, true);
    expect(g.numGroups).toBe(4);
    expect([0, 1, 2, 3].map((i) => group(g, i))).toEqual([[2], [0, 3], [1], []]);
  });

  it('pools categories per image in category order when useCats is false', () => {
    const g = groupRows(t, imgs, cats, false);
    expect(g.numGroups).toBe(2);
    expect([group(g, 0), group(g, 1)]).toEqual([
      [2, 1],
      [0, 3],
    ]);
  });
});
