import { CategoryMap } from './category-map';

describe('CategoryMap', () => {
  it('maps sparse original ids to contiguous labels by ascending id, and back', () => {
    const m = new CategoryMap([
      { id: 90, name: 'toothbrush' },
      { id: 1, name: 'person' },
      { id: 18, name: 'dog' },
    ]);
    expect(m.size).toBe(3);
    expect([m.labelOf(1), m.labelOf(18), m.labelOf(90)]).toEqual([1, 2, 3]);
    expect([m.idOf(1), m.idOf(2), m.idOf(3)]).toEqual([1, 18, 90]);
    expect(m.nameOf(3)).toBe('toothbrush');
    expect(m.categories[1]).toEqual({ label: 2, id: 18, name: 'dog' });
    expect(() => m.labelOf(2)).toThrow('unknown category id 2');
    expect(() => m.idOf(0)).toThrow('label 0 is outside 1..3');
  });
});
