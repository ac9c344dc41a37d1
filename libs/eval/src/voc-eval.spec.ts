import { EvalError } from './eval-error';
import { evaluateVoc, formatVocTable, VocDetection, VocObject } from './voc-eval';

describe('evaluateVoc', () => {
  // Two images. a: A [0,0,9,9] and a difficult B [20,20,29,29]; b: C [0,0,9,9]. Detections by score:
  // d1 a→A TP, d2 a→B difficult (neither), d3 b miss FP, d4 b→C TP, d5 a→A again FP (duplicate).
  // npos 2; tp cumsum [1 1 1 2 2], fp [0 0 1 1 2] → rec [.5 .5 .5 1 1], prec [1 1 .5 2/3 .5].
  const gts: VocObject[] = [
    { imageId: 'a', label: 'cat', box: [0, 0, 9, 9] },
    { imageId: 'a', label: 'cat', box: [20, 20, 29, 29], difficult: true },
    { imageId: 'b', label: 'cat', box: [0, 0, 9, 9] },
    { imageId: 'b', label: 'dog', box: [0, 0, 9, 9], difficult: true },
  ];
  const dets: VocDetection[] = [
    { imageId: 'a', label: 'cat', box: [0, 0, 9, 9], score: 0.5 },
    { imageId: 'b', label: 'cat', box: [0, 0, 9, 9], score: 0.6 },
    { imageId: 'b', label: 'cat', box: [50, 50, 59, 59], score: 0.7 },
    { imageId: 'a', label: 'cat', box: [20, 20, 29, 29], score: 0.8 },
    { imageId: 'a', label: 'cat', box: [1, 0, 9, 9], score: 0.9 },
  ];

  it('computes VOC2010+ AP with difficult objects ignored', () => {
    const r = evaluateVoc(gts, dets);
    const cat = r.perClass.find((c) => c.label === 'cat')!;
    expect(cat).toMatchObject({ npos: 2, ndet: 5 });
    expect(cat.ap).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    // dog has only a difficult object: no AP, left out of the mean
    expect(r.perClass.find((c) => c.label === 'dog')!.ap).toBe(-1);
    expect(r.mAP).toBeCloseTo(cat.ap, 15);
  });

  it('computes VOC2007 11-point AP', () => {
    const cat = evaluateVoc(gts, dets, { use07Metric: true }).perClass[0];
    expect(cat.ap).toBeCloseTo((6 + 5 * (2 / 3)) / 11, 12);
  });

  it('counts the detection on B as a true positive once B is not difficult', () => {
    const plain = gts.map((g) => ({ ...g, difficult: false }));
    // npos 3; tp cumsum [1 2 2 3 3], fp [0 0 1 1 2] → rec [1/3 2/3 2/3 1 1], prec [1 1 2/3 3/4 3/5]
    // envelope [1 1 .75 .75 .6]; area: 1/3 · 1 + 1/3 · 1 + 1/3 · .75
    expect(evaluateVoc(plain, dets, { classes: ['cat'] }).perClass[0].ap).toBeCloseTo(2 / 3 + 0.25, 12);
  });

  it('uses the +1 pixel convention by default (IoU of [0,0,9,9] and [1,0,9,9] is 90/100)', () => {
    const one = [{ imageId: 'a', label: 'cat', box: [0, 0, 9, 9] }];
    const d = [{ imageId: 'a', label: 'cat', box: [1, 0, 9, 9], score: 1 }];
    expect(evaluateVoc(one, d, { iouThreshold: 0.89 }).perClass[0].ap).toBe(1);
    expect(evaluateVoc(one, d, { iouThreshold: 0.9 }).perClass[0].ap).toBe(0); // strictly greater
    expect(evaluateVoc(one, d, { iouThreshold: 0.88, pixelOffset: 0 }).perClass[0].ap).toBe(1); // 72/81
    expect(evaluateVoc(one, d, { iouThreshold: 0.89, pixelOffset: 0 }).perClass[0].ap).toBe(0);
  });

  it('prints a per-class table with the mean', () => {
    const t = formatVocTable(evaluateVoc(gts, dets)).split('\n');
    expect(t[0]).toMatch(/^class\s+id\s+AP$/);
    expect(t[1]).toMatch(/^cat\s+0\.833$/);
    expect(t[2]).toMatch(/^dog\s+-$/);
    expect(t[3]).toMatch(/^mean\s+0\.833$/);
  });

  it('names a malformed record', () => {
    expect(() => evaluateVoc(gts, [{ imageId: 'a', label: 'cat', box: [0, 0, 1], score: 1 }])).toThrow(
      EvalError,
    );
    expect(() => evaluateVoc(gts, [{ imageId: 'a', label: 'cat', box: [0, 0, 1, 1], score: NaN }])).toThrow(
      'voc detections [0].score is NaN',
    );
  });
});
