import { toDetections } from './to-detections';
import { boxToXywh, toCocoResults } from './coco-results';

const raw = {
  boxes: Float32Array.of(1, 2, 4, 8, 10, 10, 20, 30, 0, 0, 5, 5),
  scores: Float32Array.of(0.9, 0.6, 0.3),
  labels: Int32Array.of(2, 1, 2),
};
const labels = { classes: ['__background__', 'cat', 'dog'], categoryIds: [0, 17, 18] };

describe('raw model output → detections → COCO results', () => {
  it('names labels, maps category ids and keeps boxes in pixels', () => {
    expect(toDetections(raw, labels)).toEqual([
      { label: 'dog', categoryId: 18, score: expect.closeTo(0.9, 6), box: { x1: 1, y1: 2, x2: 4, y2: 8 } },
      {
        label: 'cat',
        categoryId: 17,
        score: expect.closeTo(0.6, 6),
        box: { x1: 10, y1: 10, x2: 20, y2: 30 },
      },
      { label: 'dog', categoryId: 18, score: expect.closeTo(0.3, 6), box: { x1: 0, y1: 0, x2: 5, y2: 5 } },
    ]);
    expect(toDetections(raw, { classes: ['bg'] })[0]).toMatchObject({ label: 'class_2', categoryId: 2 });
  });

  it('applies score threshold, class list and count', () => {
    expect(toDetections(raw, labels, { scoreThreshold: 0.5 }).map((d) => d.label)).toEqual(['dog', 'cat']);
    expect(toDetections(raw, labels, { classes: ['dog'] }).map((d) => d.score)).toHaveLength(2);
    expect(toDetections(raw, labels, { classes: ['dog'], maxDetections: 1 })).toHaveLength(1);
  });

  it('writes COCO results (xywh, the dataset category) and leaves out unmapped classes', () => {
    const dets = toDetections(raw, labels);
    expect(boxToXywh(dets[1].box)).toEqual([10, 10, 10, 20]);
    const results = toCocoResults(dets, 7, (d) => (d.label === 'dog' ? 3 : undefined));
    expect(results).toEqual([
      { image_id: 7, category_id: 3, bbox: [1, 2, 3, 6], score: dets[0].score },
      { image_id: 7, category_id: 3, bbox: [0, 0, 5, 5], score: dets[2].score },
    ]);
  });
});
