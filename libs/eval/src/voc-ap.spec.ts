import { vocAp } from './voc-ap';

describe('vocAp', () => {
  // hand-worked: rec [.5 .5 .5 1 1], prec [1 1 .5 2/3 .5]
  const rec = [0.5, 0.5, 0.5, 1, 1];
  const prec = [1, 1, 0.5, 2 / 3, 0.5];

  it('VOC2010+: area under the envelope = .5 · 1 + .5 · 2/3', () => {
    expect(vocAp(rec, prec, false)).toBeCloseTo(0.5 + 0.5 * (2 / 3), 15);
  });

  it('VOC2007: 11 points, 6 at recall ≤ .5 with precision 1 and 5 above with 2/3', () => {
    expect(vocAp(rec, prec, true)).toBeCloseTo((6 + 5 * (2 / 3)) / 11, 15);
  });

  it('gives 0 with no detections and 1 for a perfect ranking', () => {
    expect(vocAp([], [], false)).toBe(0);
    expect(vocAp([], [], true)).toBe(0);
    expect(vocAp([0.5, 1], [1, 1], false)).toBe(1);
    expect(vocAp([0.5, 1], [1, 1], true)).toBeCloseTo(1, 15);
  });
});
