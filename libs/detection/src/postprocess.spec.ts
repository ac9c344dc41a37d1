import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import { postprocessDetections, softmaxRows } from './postprocess';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** Detections vs torchvision: boxes (px) and scores. */
const BOX_TOL = 1e-4;
const SCORE_TOL = 1e-6;

interface PostprocessFixture {
  numClasses: number;
  imageShapes: [number, number][];
  proposals: F32[];
  logits: F32;
  regression: F32;
  boxes: F32[];
  scores: F32[];
  labels: number[][];
}

describe('postprocessDetections, hand-worked', () => {
  it('softmax rows sum to 1', () => {
    const s = softmaxRows(new Float32Array([0, 0, 1000, 0]), 2);
    expect(Array.from(s)).toEqual([0.5, 0.5, 1, 0]);
  });

  it('drops background, thresholds, suppresses per class and clips', () => {
    // two identical proposals, 3 classes; zero regression → boxes = proposals
    const props = new Float32Array([10, 10, 50, 50, 10, 10, 50, 50, 90, 90, 130, 130]);
    const logits = new Float32Array([
      0,
      3,
      1, // class 1 wins
      0,
      2,
      2.5, // class 2 slightly ahead
      5,
      0,
      0, // background: no detection above 0.05? softmax([5,0,0]) → 0.0066 each
    ]);
    const [d] = postprocessDetections(logits, new Float32Array(3 * 12), [props], [[100, 100]], 3);
    // candidates: p0c1 (.84), p0c2 (.11), p1c1 (.34), p1c2 (.56); NMS per class keeps the best of each class
    expect(Array.from(d.labels)).toEqual([1, 2]);
    expect(d.scores[0]).toBeGreaterThan(d.scores[1]);
    expect(Array.from(d.boxes.subarray(0, 4))).toEqual([10, 10, 50, 50]);
    expect(() => postprocessDetections(logits, new Float32Array(3), [props], [[100, 100]], 3)).toThrow(
      /regression/,
    );
  });
});

describe('postprocessDetections vs torchvision 0.14 RoIHeads.postprocess_detections (postprocess.json)', () => {
  const fx = readOpsFixture<PostprocessFixture>('postprocess');

  it(`same labels and order, boxes within ${BOX_TOL}, scores within ${SCORE_TOL}`, () => {
    const dets = postprocessDetections(
      f32(fx.logits).data,
      f32(fx.regression).data,
      fx.proposals.map((p) => f32(p).data),
      fx.imageShapes,
      fx.numClasses,
    );
    dets.forEach((d, i) => {
      expect(Array.from(d.labels)).toEqual(fx.labels[i]);
      expect(maxAbsDiff(d.scores, f32(fx.scores[i]).data)).toBeLessThanOrEqual(SCORE_TOL);
      expect(maxAbsDiff(d.boxes, f32(fx.boxes[i]).data)).toBeLessThanOrEqual(BOX_TOL);
    });
  });
});
