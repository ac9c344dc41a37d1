import { COCO_EVAL_DEFAULTS, resolveCocoParams } from './coco-params';

describe('resolveCocoParams', () => {
  it("has pycocotools' bbox defaults", () => {
    const p = resolveCocoParams();
    expect(p.iouThrs).toHaveLength(10);
    expect(p.recThrs).toHaveLength(101);
    expect(p.maxDets).toEqual([1, 10, 100]);
    expect(p.areaRng).toEqual([
      [0, 1e10],
      [0, 1024],
      [1024, 9216],
      [9216, 1e10],
    ]);
    expect(p.areaRngLbl).toEqual(['all', 'small', 'medium', 'large']);
    expect(p.useCats).toBe(true);
  });

  it('sorts maxDets without touching the input, and validates', () => {
    const md = [100, 1, 10];
    expect(resolveCocoParams({ maxDets: md }).maxDets).toEqual([1, 10, 100]);
    expect(md).toEqual([100, 1, 10]);
    expect(Object.isFrozen(COCO_EVAL_DEFAULTS)).toBe(true);
    expect(() => resolveCocoParams({ iouThrs: [0.5, 1.5] })).toThrow(
      'eval params: iouThrs[1] is 1.5, must be in [0, 1]',
    );
    expect(() => resolveCocoParams({ maxDets: [0] })).toThrow('maxDets[0] is 0, must be a positive integer');
    expect(() => resolveCocoParams({ areaRngLbl: ['all'] })).toThrow(
      'areaRng has 4 ranges but areaRngLbl has 1',
    );
    expect(() => resolveCocoParams({ recThrs: [0.5, 0.2] })).toThrow('recThrs must be ascending');
  });
});
