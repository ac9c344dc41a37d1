import { linspace, linspaceCount } from './linspace';

describe('linspace (numpy arithmetic)', () => {
  // reference: numpy 1.24.2, np.linspace(.5, .95, int(np.round((.95 - .5) / .05)) + 1) → repr of each element
  it("reproduces pycocotools' iouThrs bit for bit", () => {
    expect(linspaceCount(0.5, 0.95, 0.05)).toBe(10);
    expect(Array.from(linspace(0.5, 0.95, 10))).toEqual([
      0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95,
    ]);
  });

  // reference: the only indices where numpy's recThrs differ from i / 100 (numpy 1.24.2)
  it('reproduces recThrs, including the points where i * step differs from i / 100', () => {
    expect(linspaceCount(0, 1, 0.01)).toBe(101);
    const r = linspace(0, 1, 101);
    const differs: [number, number][] = [];
    r.forEach((v, i) => {
      if (v !== i / 100) differs.push([i, v]);
    });
    expect(differs).toEqual([
      [35, 0.35000000000000003],
      [41, 0.41000000000000003],
      [47, 0.47000000000000003],
      [57, 0.5700000000000001],
      [69, 0.6900000000000001],
      [70, 0.7000000000000001],
      [82, 0.8200000000000001],
      [83, 0.8300000000000001],
      [94, 0.9400000000000001],
      [95, 0.9500000000000001],
    ]);
  });

  it('handles 0 and 1 points and rounds the count half to even', () => {
    expect(Array.from(linspace(0, 1, 0))).toEqual([]);
    expect(Array.from(linspace(0.3, 1, 1))).toEqual([0.3]);
    expect(linspaceCount(0, 2.5, 1)).toBe(3); // round(2.5) = 2 in numpy
    expect(linspaceCount(0, 3.5, 1)).toBe(5); // round(3.5) = 4
  });
});
