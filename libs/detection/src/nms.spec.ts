import { argsortDescending, batchedNms, batchedNmsCoordinateTrick, batchedNmsPerClass, nms } from './nms';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';

interface NmsFixture {
  boxes: F32;
  scores: F32;
  idxs: number[];
  keep05: number[];
  keep07: number[];
  keep03: number[];
  batchedKeep05: number[];
  bigBoxes: F32;
  bigScores: F32;
  bigIdxs: number[];
  bigBatchedKeep05: number[];
}

describe('nms, hand-worked', () => {
  // box 1 lies inside box 0: IoU = 81/100 = 0.81; box 2 is disjoint
  const boxes = new Float32Array([0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 30, 30]);

  it('suppresses IoU strictly above the threshold, in score order', () => {
    expect(Array.from(nms(boxes, [0.9, 0.8, 0.7], 0.5))).toEqual([0, 2]);
    expect(Array.from(nms(boxes, [0.8, 0.9, 0.7], 0.5))).toEqual([1, 2]);
    expect(Array.from(nms(boxes, [0.9, 0.8, 0.7], 0.82))).toEqual([0, 1, 2]);
    // the float32 IoU 0.81000000238… is compared with the double threshold 0.81, as in the C++ kernel
    expect(Array.from(nms(boxes, [0.9, 0.8, 0.7], 0.81))).toEqual([0, 2]);
    expect(Array.from(nms(boxes, [0.9, 0.8, 0.7], 0.8100001))).toEqual([0, 1, 2]);
  });

  it('breaks score ties by lower index (stable sort, like the CPU kernel)', () => {
    const same = new Float32Array([0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10]);
    expect(Array.from(nms(same, [0.5, 0.6, 0.6], 0.5))).toEqual([1]);
    expect(Array.from(argsortDescending([0.5, 0.7, 0.5, 0.7]))).toEqual([1, 3, 0, 2]);
  });

  it('keeps classes apart in batchedNms and handles empty input', () => {
    expect(Array.from(batchedNms(boxes, [0.9, 0.8, 0.7], [0, 1, 0], 0.5))).toEqual([0, 1, 2]);
    expect(Array.from(batchedNms(new Float32Array(0), [], [], 0.5))).toEqual([]);
    expect(() => nms(boxes, [1, 2], 0.5)).toThrow(/scores has length 2/);
  });
});

describe('nms vs torchvision 0.14 (test/fixtures/detection/ops/nms.json), exact indices', () => {
  const fx = readOpsFixture<NmsFixture>('nms');
  const boxes = f32(fx.boxes).data;
  const scores = f32(fx.scores).data;

  it('nms at IoU 0.3 / 0.5 / 0.7 (with exact score ties)', () => {
    expect(Array.from(nms(boxes, scores, 0.5))).toEqual(fx.keep05);
    expect(Array.from(nms(boxes, scores, 0.7))).toEqual(fx.keep07);
    expect(Array.from(nms(boxes, scores, 0.3))).toEqual(fx.keep03);
  });

  it('batched_nms, coordinate-trick path (≤ 1000 boxes)', () => {
    expect(Array.from(batchedNms(boxes, scores, fx.idxs, 0.5))).toEqual(fx.batchedKeep05);
    expect(Array.from(batchedNmsCoordinateTrick(boxes, scores, fx.idxs, 0.5))).toEqual(fx.batchedKeep05);
  });

  it('batched_nms, per-class path (> 1000 boxes)', () => {
    const big = f32(fx.bigBoxes).data;
    const bigScores = f32(fx.bigScores).data;
    expect(Array.from(batchedNms(big, bigScores, fx.bigIdxs, 0.5))).toEqual(fx.bigBatchedKeep05);
    // the two strategies agree here: offsets are exact for these coordinates
    expect(Array.from(batchedNmsPerClass(boxes, scores, fx.idxs, 0.5)).sort()).toEqual(
      [...fx.batchedKeep05].sort(),
    );
  });
});

describe('nms maxKeep (torchvision keep[:n], stopped early)', () => {
  const fx = readOpsFixture<NmsFixture>('nms');
  const boxes = f32(fx.boxes).data;
  const scores = f32(fx.scores).data;
  const big = f32(fx.bigBoxes).data;
  const bigScores = f32(fx.bigScores).data;

  it.each([1, 7, 50, 10_000])('returns the first %i of the full result on both batched paths', (n) => {
    expect(Array.from(nms(boxes, scores, 0.5, n))).toEqual(fx.keep05.slice(0, n));
    expect(Array.from(batchedNms(boxes, scores, fx.idxs, 0.5, n))).toEqual(fx.batchedKeep05.slice(0, n));
    expect(Array.from(batchedNms(big, bigScores, fx.bigIdxs, 0.5, n))).toEqual(
      fx.bigBatchedKeep05.slice(0, n),
    );
  });

  it('keeps zero-area boxes whose overlap is NaN, as the kernel does', () => {
    const flat = new Float32Array([5, 5, 5, 5, 5, 5, 5, 5]); // two identical points: 0 / 0
    expect(Array.from(nms(flat, [0.9, 0.8], 0.5))).toEqual([0, 1]);
    expect(Array.from(nms(flat, [0.9, 0.8], 0.5, 1))).toEqual([0]);
  });
});
