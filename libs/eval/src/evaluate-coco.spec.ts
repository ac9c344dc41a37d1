import { CocoAnnotation, CocoDataset, CocoResult } from './coco-types';
import { EvalError } from './eval-error';
import { evaluateCoco } from './evaluate-coco';

// Hand-worked cases for the corners of pycocotools' evaluate/accumulate/summarize. Boxes are [x, y, w, h];
// areas are w·h unless stated. Stats order: AP AP50 AP75 APs APm APl AR1 AR10 AR100 ARs ARm ARl.

type Box = [number, number, number, number];
const ann = (
  id: number,
  image: number,
  cat: number,
  bbox: Box,
  extra: Partial<CocoAnnotation> = {},
): CocoAnnotation => ({
  id,
  image_id: image,
  category_id: cat,
  bbox,
  area: bbox[2] * bbox[3],
  iscrowd: 0,
  ...extra,
});
const det = (image: number, cat: number, bbox: Box, score: number): CocoResult => ({
  image_id: image,
  category_id: cat,
  bbox,
  score,
});
const dataset = (images: number[], cats: number[], annotations: CocoAnnotation[]): CocoDataset => ({
  images: images.map((id) => ({ id })),
  categories: cats.map((id) => ({ id, name: `c${id}` })),
  annotations,
});
/**
 * Precision is tp / (tp + fp + np.spacing(1)) as in pycocotools, so a perfect score is 1 - 2.2e-16, not 1:
 * compare to 12 digits (the eps is far below that).
 */
const close = (actual: number[], expected: number[]): void => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 12));
};
/** AP when precision is p at the first `n` of the 101 recall thresholds and 0 after. */
const apSteps = (p: number, n: number): number => (p * n) / 101;

describe('evaluateCoco: hand-worked corner cases', () => {
  it('scores a perfect detection 1, and -1 for area ranges with no ground truth', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50])]); // area 2500: medium
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 50, 50], 0.9)]);
    close(r.stats, [1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1]);
    expect(r.lines[0]).toBe(
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000',
    );
    expect(r.lines[3]).toBe(
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000',
    );
    expect(r.lines[6]).toBe(
      ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000',
    );
    expect(r.lines[1]).toBe(
      ' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000',
    );
  });

  it('ignores detections inside crowd regions (IoU = intersection / detection area) and lets a crowd match many', () => {
    const anns = [ann(1, 1, 1, [0, 0, 50, 50]), ann(2, 1, 1, [100, 100, 100, 100], { iscrowd: 1 })];
    const dts = [
      det(1, 1, [110, 110, 20, 20], 0.95), // inside the crowd: 400 / 400 = 1 → matched to it → ignored
      det(1, 1, [0, 0, 50, 50], 0.9), // true positive
      det(1, 1, [120, 120, 20, 20], 0.8), // inside the crowd again: a crowd can be matched repeatedly
    ];
    const crowd = evaluateCoco(dataset([1], [1], anns), dts);
    close([crowd.stats[0]], [1]); // only the TP counts; the crowd is not a gt to find (npig = 1)
    close([crowd.stats[8]], [1]);
    // the same region as an ordinary gt: IoU 400 / 10000 → FP, TP, FP with npig 2:
    // rc [0, .5, .5], pr [0, .5, 1/3] → envelope .5 up to recall .5 (51 thresholds), then 0
    const plain = evaluateCoco(dataset([1], [1], [anns[0], { ...anns[1], iscrowd: 0 }]), dts);
    close([plain.stats[1]], [apSteps(0.5, 51)]);
    close([plain.stats[8]], [0.5]);
  });

  it('gives -1 to categories without ground truth and leaves them out of the means', () => {
    const gt = dataset([1], [1, 2, 3], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 50, 50], 0.9), det(1, 2, [0, 0, 50, 50], 0.99)]);
    close([r.stats[0]], [1]); // category 2's detection has no gt to be wrong about: precision -1, not 0
    expect(r.perCategory.map((c) => c.catId)).toEqual([1, 2, 3]);
    close(
      r.perCategory.map((c) => c.ap),
      [1, -1, -1],
    );
    close(
      r.perCategory.map((c) => c.ap50),
      [1, -1, -1],
    );
  });

  it('counts only the first maxDet detections per image (AR1 vs AR10)', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50]), ann(2, 1, 1, [100, 0, 50, 50])]);
    const r = evaluateCoco(gt, [det(1, 1, [100, 0, 50, 50], 0.8), det(1, 1, [0, 0, 50, 50], 0.9)]);
    close(r.stats.slice(6, 9), [0.5, 1, 1]);
    close([r.stats[0]], [1]);
  });

  it('truncates each image to maxDets[-1] detections before matching', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const fps = Array.from({ length: 99 }, (_, i) => det(1, 1, [200 + i, 200, 10, 10], 0.99 - i * 0.001));
    // the TP is the 100th detection: kept; pr = 1 / (99 + 1) at recall 1 → AP = 0.01 everywhere
    const at100 = evaluateCoco(gt, [...fps, det(1, 1, [0, 0, 50, 50], 0.5)]);
    close([at100.stats[0]], [0.01]);
    close([at100.stats[8]], [1]);
    // one more FP ahead of it pushes the TP to 101st: dropped, never matched
    const at101 = evaluateCoco(gt, [
      ...fps,
      det(1, 1, [300, 300, 5, 5], 0.6),
      det(1, 1, [0, 0, 50, 50], 0.5),
    ]);
    close([at101.stats[0]], [0]);
    close([at101.stats[8]], [0]);
  });

  it('breaks score ties by input order inside an image (stable sort)', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const fp = det(1, 1, [200, 200, 50, 50], 0.5);
    const tp = det(1, 1, [0, 0, 50, 50], 0.5);
    // FP first: rc [0, 1], pr [0, .5] → .5 everywhere; TP first: pr [1, .5] → 1 everywhere
    close([evaluateCoco(gt, [fp, tp]).stats[0]], [0.5]);
    close([evaluateCoco(gt, [tp, fp]).stats[0]], [1]);
  });

  it('breaks score ties across images by sorted image id, not file order', () => {
    // image 2 is listed first, but pycocotools sorts imgIds: image 1's FP comes before image 2's TP
    const gt = dataset([2, 1], [1], [ann(1, 2, 1, [0, 0, 50, 50]), ann(2, 1, 1, [0, 0, 50, 50])]);
    const dts = [det(2, 1, [0, 0, 50, 50], 0.5), det(1, 1, [300, 300, 50, 50], 0.5)];
    // FP, TP with npig 2: rc [0, .5], pr [0, .5] → .5 up to recall .5 (51 thresholds)
    close([evaluateCoco(gt, dts).stats[1]], [apSteps(0.5, 51)]);
  });

  it('ignores unmatched detections outside the area range and detections matched to out-of-range gt', () => {
    const gt = dataset(
      [1],
      [1],
      [
        ann(1, 1, 1, [0, 0, 10, 10]), // area 100: small
        ann(2, 1, 1, [0, 100, 200, 200]), // area 40000: large
      ],
    );
    const dts = [det(1, 1, [0, 100, 200, 200], 0.9), det(1, 1, [300, 300, 10, 10], 0.8)];
    const r = evaluateCoco(gt, dts);
    // all: TP then FP, npig 2 → precision 1 up to recall .5
    close([r.stats[0]], [apSteps(1, 51)]);
    // small: the large TP matches an ignored gt → ignored; the small FP counts; the small gt is missed
    close([r.stats[3], r.stats[9]], [0, 0]);
    // large: the small FP is unmatched and out of range → ignored
    close([r.stats[5], r.stats[11]], [1, 1]);
    close([r.stats[4], r.stats[10]], [-1, -1]);
  });

  it('uses the annotation area field (not w·h) for ground truth area ranges', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50], { area: 500 })]); // box 2500, area field 500
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 50, 50], 0.9)]);
    // area 500 makes it a small object (w·h would make it medium); the 2500-pixel detection matches it, so it is
    // a TP in the small range (area ranges only ignore *unmatched* detections)
    close([r.stats[3], r.stats[4]], [1, -1]);
  });

  it('pools categories when useCats is false', () => {
    const gt = dataset([1], [1, 2], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const dts = [det(1, 2, [0, 0, 50, 50], 0.9)];
    close([evaluateCoco(gt, dts).stats[0]], [0]);
    const pooled = evaluateCoco(gt, dts, { params: { useCats: false } });
    close([pooled.stats[0]], [1]);
    expect(pooled.perCategory).toHaveLength(1);
  });

  it('evaluates an empty result list to zeros with a warning', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const r = evaluateCoco(gt, [], { dtSource: 'dt.json' });
    close(r.stats, [0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, -1]);
    expect(r.warnings.join()).toMatch(/dt\.json.*empty/);
  });

  it('warns about result categories that are not in the ground truth', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 50, 50], 0.9), det(1, 77, [0, 0, 5, 5], 0.9)]);
    close([r.stats[0]], [1]);
    expect(r.warnings.join()).toMatch(/1 result\(s\).*category ids not in the ground truth.*77/);
  });

  it('rejects results on unknown images, naming one', () => {
    const gt = dataset([1], [1], [ann(1, 1, 1, [0, 0, 50, 50])]);
    const run = (): unknown =>
      evaluateCoco(gt, [det(1, 1, [0, 0, 5, 5], 0.9), det(999, 1, [0, 0, 5, 5], 0.9)], {
        dtSource: 'dt.json',
      });
    expect(run).toThrow(EvalError);
    expect(run).toThrow(
      'results dt.json: 1 result(s) have image ids not in the ground truth, e.g. image_id 999 at [1]',
    );
  });
});
