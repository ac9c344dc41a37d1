import { boxIou } from './box-iou';

describe('boxIou (maskApi bbIou)', () => {
  const run = (dt: number[][], gt: number[][], crowd: number[]): number[] => {
    const out = new Float64Array(dt.length * gt.length);
    boxIou(
      Float64Array.from(dt.flat()),
      dt.map((_, i) => i),
      dt.length,
      Float64Array.from(gt.flat()),
      gt.map((_, i) => i),
      gt.length,
      Uint8Array.from(crowd),
      out,
    );
    return Array.from(out);
  };

  it('computes intersection over union of xywh boxes, row-major [D, G]', () => {
    // dt [0,0,10,10] vs gt [5,5,10,10]: intersection 5·5 = 25, union 100 + 100 - 25 = 175
    // dt [0,0,10,10] vs gt [0,0,10,20]: intersection 100, union 100 + 200 - 100 = 200
    expect(
      run(
        [[0, 0, 10, 10]],
        [
          [5, 5, 10, 10],
          [0, 0, 10, 20],
        ],
        [0, 0],
      ),
    ).toEqual([25 / 175, 0.5]);
  });

  it('uses the detection area as the union for crowd ground truth', () => {
    // crowd region [0,0,100,100] fully contains dt [10,10,20,20]: 400 / 400 = 1; half outside: 200 / 400
    expect(
      run(
        [
          [10, 10, 20, 20],
          [-10, 10, 20, 20],
        ],
        [[0, 0, 100, 100]],
        [1],
      ),
    ).toEqual([1, 0.5]);
  });

  it('is 0 for touching or disjoint boxes; a contained box gets its own share', () => {
    expect(
      run(
        [
          [0, 0, 10, 10],
          [10, 0, 5, 5],
          [50, 50, 0, 10],
        ],
        [[10, 0, 10, 10]],
        [0],
      ),
    ).toEqual([0, 0.25, 0]);
  });
});
