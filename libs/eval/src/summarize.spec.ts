import { resolveCocoParams } from './coco-params';
import { CocoAccumulation } from './coco-evaluator';
import { COCO_STAT_NAMES, summarizeCoco } from './summarize';

describe('summarizeCoco', () => {
  // One category; precision 0.5 everywhere for area 'all', -1 (nothing to measure) elsewhere; recall 0.25.
  const p = { ...resolveCocoParams(), imgIds: [1], catIds: [1] };
  const [T, R, K, A, M] = [10, 101, 1, 4, 3];
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let t = 0; t < T; t++) {
    for (let m = 0; m < M; m++) {
      for (let r = 0; r < R; r++) precision[((t * R + r) * A + 0) * M + m] = 0.5;
      recall[(t * A + 0) * M + m] = 0.25;
    }
  }
  const acc: CocoAccumulation = { params: p, counts: [T, R, K, A, M], precision, recall };

  it("gives the 12 stats in pycocotools' order, -1 where nothing is measured", () => {
    const { stats } = summarizeCoco(acc);
    expect(COCO_STAT_NAMES).toHaveLength(12);
    expect(stats).toEqual([0.5, 0.5, 0.5, -1, -1, -1, 0.25, 0.25, 0.25, -1, -1, -1]);
  });

  it("prints pycocotools' lines exactly", () => {
    const { lines } = summarizeCoco(acc);
    expect(lines).toEqual([
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500',
      ' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.500',
      ' Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.500',
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000',
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000',
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000',
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.250',
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.250',
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.250',
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000',
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000',
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000',
    ]);
  });
});
