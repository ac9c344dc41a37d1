import type { StateDict } from '@resdet/nn';
import { PREDICTOR_KEYS, planClassTransfer, transferPredictorRows } from './class-transfer';
import { TrainingConfigError } from './errors';

/** A predictor of `k` classes and feature width 2 whose every value encodes (tag, row, column). */
function predictor(k: number, tag: number): StateDict {
  const t = (rows: number, cols: number) => ({
    dtype: 'float32' as const,
    shape: cols ? [rows, cols] : [rows],
    data: Float32Array.from({ length: rows * Math.max(cols, 1) }, (_, i) => tag * 1000 + i),
  });
  return new Map([
    [PREDICTOR_KEYS.clsWeight, t(k, 2)],
    [PREDICTOR_KEYS.clsBias, t(k, 0)],
    [PREDICTOR_KEYS.boxWeight, t(4 * k, 2)],
    [PREDICTOR_KEYS.boxBias, t(4 * k, 0)],
  ]);
}

describe('planClassTransfer', () => {
  it('carries by name (case and spaces ignored), keeps background at 0, lists new and dropped classes', () => {
    const plan = planClassTransfer(
      { names: ['__background__', 'cat', 'N/A', 'Dog', 'owl'], count: 5, file: 'src.pth' },
      ['__background__', 'dog ', 'fox', 'owl'],
    );
    expect(plan).toEqual({
      sourceOf: [0, 3, null, 4],
      carried: ['dog ', 'owl'],
      added: ['fox'],
      dropped: ['cat'],
      byPosition: false,
    });
  });

  it('carries by position without names when the counts agree, and otherwise says to pass --from-classes', () => {
    expect(planClassTransfer({ count: 3, file: 'a.pth' }, ['bg', 'x', 'y'])).toMatchObject({
      sourceOf: [0, 1, 2],
      carried: ['x', 'y'],
      byPosition: true,
    });
    const call = () => planClassTransfer({ count: 91, file: 'a.pth' }, ['bg', 'x', 'y']);
    expect(call).toThrow(TrainingConfigError);
    expect(call).toThrow(
      /a.pth: its predictor has 91 classes .* no class names, the dataset has 3; pass --from-classes FILE/,
    );
    expect(() => planClassTransfer({ names: ['bg', 'x'], count: 3, file: 'a.pth' }, ['bg'])).toThrow(
      'a.pth: 2 class names for a predictor with 3 classes (background included)',
    );
  });
});

describe('transferPredictorRows', () => {
  it('copies carried row blocks exactly (4 bbox rows per class) and keeps fresh rows for new classes', () => {
    const source = predictor(3, 1); // classes bg, a, b
    const fresh = predictor(3, 2); // classes bg, b, new
    const plan = planClassTransfer({ names: ['bg', 'a', 'b'], count: 3, file: 's' }, ['bg', 'b', 'new']);
    const out = transferPredictorRows(source, fresh, plan, 's');
    const values = (sd: StateDict, k: string) => Array.from(sd.get(k)!.data as Float32Array);
    const rows = (sd: StateDict, k: string, width: number, i: number) =>
      values(sd, k).slice(i * width, (i + 1) * width);
    // cls_score.weight [3, 2]: row 0 ← source 0, row 1 ← source 2 (b), row 2 fresh.
    expect(values(out, PREDICTOR_KEYS.clsWeight)).toEqual([
      ...rows(source, PREDICTOR_KEYS.clsWeight, 2, 0),
      ...rows(source, PREDICTOR_KEYS.clsWeight, 2, 2),
      ...rows(fresh, PREDICTOR_KEYS.clsWeight, 2, 2),
    ]);
    expect(values(out, PREDICTOR_KEYS.clsBias)).toEqual([1000, 1002, 2002]);
    // bbox_pred.bias [12]: class blocks of 4.
    expect(values(out, PREDICTOR_KEYS.boxBias)).toEqual([
      1000, 1001, 1002, 1003, 1008, 1009, 1010, 1011, 2008, 2009, 2010, 2011,
    ]);
    expect(rows(out, PREDICTOR_KEYS.boxWeight, 8, 1)).toEqual(rows(source, PREDICTOR_KEYS.boxWeight, 8, 2));
    expect(out.get(PREDICTOR_KEYS.boxWeight)!.shape).toEqual([12, 2]);
    // Inputs untouched.
    expect(fresh.get(PREDICTOR_KEYS.clsBias)!.data).toEqual(Float32Array.from([2000, 2001, 2002]));
  });

  it('names the file and both shapes when the box head width differs, and a missing predictor', () => {
    const source = predictor(2, 1);
    source.set(PREDICTOR_KEYS.clsWeight, { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    const plan = planClassTransfer({ names: ['bg', 'a'], count: 2, file: 's' }, ['bg', 'a']);
    expect(() => transferPredictorRows(source, predictor(2, 2), plan, 's.pth')).toThrow(
      "s.pth: roi_heads.box_predictor.cls_score.weight is [2,3], the model's is [2,2] (a box head of another width?)",
    );
    expect(() => transferPredictorRows(new Map(), predictor(2, 2), plan, 'r50.pth')).toThrow(
      'r50.pth: no roi_heads.box_predictor.cls_score.weight: not a detector checkpoint (an ImageNet backbone goes in --weights)',
    );
  });
});
