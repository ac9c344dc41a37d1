import { boxIou } from './box-ops';
import { BELOW_LOW_THRESHOLD, BETWEEN_THRESHOLDS, Matcher } from './matcher';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';

interface MatcherFixture {
  gt: F32;
  preds: F32;
  iou: F32;
  rpn: number[];
  head: number[];
  rpnNoLowQuality: number[];
}

describe('Matcher, hand-worked 3×4 IoU matrix', () => {
  // rows = gt, columns = predictions
  const q = new Float32Array([0.9, 0.2, 0.1, 0.0, 0.1, 0.5, 0.1, 0.2, 0.0, 0.1, 0.25, 0.25]);

  it('thresholds into match / BETWEEN (-2) / BELOW (-1)', () => {
    expect(BELOW_LOW_THRESHOLD).toBe(-1);
    expect(BETWEEN_THRESHOLDS).toBe(-2);
    expect(Array.from(new Matcher(0.7, 0.3).match(q, 3, 4))).toEqual([0, -2, -1, -1]);
  });

  it('restores low-quality best matches, keeping ties', () => {
    // gt1's best is column 1 (0.5); gt2's best 0.25 ties at columns 2 and 3 → both get gt2 back
    expect(Array.from(new Matcher(0.7, 0.3, true).match(q, 3, 4))).toEqual([0, 1, 2, 2]);
  });

  it('takes the first gt on equal quality and rejects empty inputs', () => {
    expect(Array.from(new Matcher(0.5, 0.5).match(new Float32Array([0.6, 0.6]), 2, 1))).toEqual([0]);
    expect(() => new Matcher(0.3, 0.7)).toThrow(/lowThreshold/);
    expect(() => new Matcher(0.7, 0.3).match(new Float32Array(0), 0, 5)).toThrow(/ground-truth/);
  });
});

describe('Matcher vs torchvision 0.14 (test/fixtures/detection/ops/matcher.json), exact', () => {
  const fx = readOpsFixture<MatcherFixture>('matcher');
  const gt = f32(fx.gt).data;
  const preds = f32(fx.preds).data;
  const m = gt.length / 4;
  const n = preds.length / 4;
  const iou = boxIou(gt, preds);

  it('uses a bit-identical IoU matrix', () => {
    expect(Array.from(iou)).toEqual(Array.from(f32(fx.iou).data));
  });

  it('matches (0.7, 0.3, low-quality), (0.5, 0.5) and (0.7, 0.3) exactly', () => {
    expect(Array.from(new Matcher(0.7, 0.3, true).match(iou, m, n))).toEqual(fx.rpn);
    expect(Array.from(new Matcher(0.5, 0.5, false).match(iou, m, n))).toEqual(fx.head);
    expect(Array.from(new Matcher(0.7, 0.3, false).match(iou, m, n))).toEqual(fx.rpnNoLowQuality);
  });
});
