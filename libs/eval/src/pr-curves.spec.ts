import { cocoPrPlots } from './pr-curves';
import { evaluateCoco } from './evaluate-coco';

describe('cocoPrPlots', () => {
  it('makes an all-categories plot and one per category with ground truth, 10 IoU series each', () => {
    const gt = {
      images: [{ id: 1 }],
      categories: [
        { id: 1, name: 'person' },
        { id: 2, name: 'traffic light' },
      ],
      annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 50, 50], area: 2500 }],
    };
    const r = evaluateCoco(gt, [{ image_id: 1, category_id: 1, bbox: [0, 0, 50, 50], score: 1 }]);
    const plots = cocoPrPlots(r, r.perCategory);
    expect(plots.map((p) => p.file)).toEqual(['pr-all.png', 'pr-1-person.png']);
    expect(plots[1].plot.series).toHaveLength(10);
    expect(plots[1].plot.series[0].label).toBe('IoU=0.50');
    expect(plots[1].plot.recall).toHaveLength(101);
    expect(plots[1].plot.series[9].precision[100]).toBeCloseTo(1, 12);
  });
});
