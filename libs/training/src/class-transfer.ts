import type { HostTensor, StateDict } from '@resdet/nn';
import { TrainingConfigError } from './errors';

/** The box predictor's tensors, whose rows are per class (`bbox_pred` has 4 rows per class: dx dy dw dh). */
export const PREDICTOR_KEYS = Object.freeze({
  clsWeight: 'roi_heads.box_predictor.cls_score.weight',
  clsBias: 'roi_heads.box_predictor.cls_score.bias',
  boxWeight: 'roi_heads.box_predictor.bbox_pred.weight',
  boxBias: 'roi_heads.box_predictor.bbox_pred.bias',
});

/** Source slots that name no class (torchvision's COCO list keeps unused category ids as 'N/A'). */
const PLACEHOLDER = 'N/A';

/** Which source predictor row each target class starts from. */
export interface ClassTransferPlan {
  /** Per target label (0 = background): the source label whose rows it gets, or null (fresh rows). */
  sourceOf: (number | null)[];
  /** Target classes whose rows come from the source (background not listed). */
  carried: string[];
  /** Target classes the source lacks (fresh rows). */
  added: string[];
  /** Source classes the target lacks (their rows are not used). */
  dropped: string[];
  /** True when the source had no names and rows were carried by position (same class count). */
  byPosition: boolean;
}

const key = (name: string) => name.trim().toLowerCase();

/**
 * Matches target classes to a source detector's classes by name (trimmed, case-insensitive); background
 * (label 0) always maps to the source's background. Without source names the rows are carried by position
 * when the counts agree; otherwise it throws a {@link TrainingConfigError} that says to pass `--from-classes`.
 *
 * @example
 * planClassTransfer({ names: ['__background__', 'cat', 'dog'], count: 3, file: 'a.pth' }, ['__background__', 'dog', 'fox']);
 * // → sourceOf [0, 2, null], carried ['dog'], added ['fox'], dropped ['cat']
 */
export function planClassTransfer(
  source: { names?: readonly string[]; count: number; file: string },
  target: readonly string[],
): ClassTransferPlan {
  if (!source.names) {
    if (source.count !== target.length) {
      throw new TrainingConfigError(
        `${source.file}: its predictor has ${source.count} classes (background included) and no class names, ` +
          `the dataset has ${target.length}; pass --from-classes FILE (the source's class names, one per line, ` +
          `background first) so that rows are carried by name`,
      );
    }
    return {
      sourceOf: target.map((_, i) => i),
      carried: target.slice(1),
      added: [],
      dropped: [],
      byPosition: true,
    };
  }
  if (source.names.length !== source.count) {
    throw new TrainingConfigError(
      `${source.file}: ${source.names.length} class names for a predictor with ${source.count} classes (background included)`,
    );
  }
  const sourceIndex = new Map<string, number>();
  source.names.forEach((n, i) => {
    if (i > 0 && n !== PLACEHOLDER && !sourceIndex.has(key(n))) sourceIndex.set(key(n), i);
  });
  const sourceOf: (number | null)[] = [0];
  const carried: string[] = [];
  const added: string[] = [];
  const used = new Set<number>();
  for (const name of target.slice(1)) {
    const i = sourceIndex.get(key(name));
    sourceOf.push(i ?? null);
    if (i === undefined) added.push(name);
    else {
      carried.push(name);
      used.add(i);
    }
  }
  const dropped = source.names.filter((n, i) => i > 0 && n !== PLACEHOLDER && !used.has(i));
  return { sourceOf, carried, added, dropped, byPosition: false };
}

function predictorTensor(sd: StateDict, k: string, file: string): HostTensor {
  const t = sd.get(k);
  if (!t) {
    throw new TrainingConfigError(
      `${file}: no ${k}: not a detector checkpoint (an ImageNet backbone goes in --weights)`,
    );
  }
  if (!(t.data instanceof Float32Array))
    throw new TrainingConfigError(`${file}: ${k} is ${t.dtype}, not float`);
  return t;
}

/** Predictor classes of a state dict (rows of `cls_score.weight`); throws naming the file when absent. */
export function predictorClassCount(sd: StateDict, file: string): number {
  return predictorTensor(sd, PREDICTOR_KEYS.clsWeight, file).shape[0];
}

/**
 * The four predictor tensors for the target classes (torch layouts: weights [K, F] and [4K, F], biases [K] and
 * [4K]): row blocks of carried classes copied from `source`, those of new classes taken from `fresh` (the
 * freshly initialised model's own predictor, so new classes get exactly the init a model built from scratch
 * gets). Neither input is changed.
 */
export function transferPredictorRows(
  source: StateDict,
  fresh: StateDict,
  plan: ClassTransferPlan,
  file: string,
): StateDict {
  const k = plan.sourceOf.length;
  const sourceCount = predictorClassCount(source, file);
  const out: StateDict = new Map();
  for (const [name, rowsPerClass] of [
    [PREDICTOR_KEYS.clsWeight, 1],
    [PREDICTOR_KEYS.clsBias, 1],
    [PREDICTOR_KEYS.boxWeight, 4],
    [PREDICTOR_KEYS.boxBias, 4],
  ] as const) {
    const src = predictorTensor(source, name, file);
    const dst = predictorTensor(fresh, name, 'the model');
    const width = dst.shape.slice(1).reduce((a, b) => a * b, 1);
    const srcWidth = src.shape.slice(1).reduce((a, b) => a * b, 1);
    if (
      dst.shape[0] !== k * rowsPerClass ||
      src.shape[0] !== sourceCount * rowsPerClass ||
      src.shape.length !== dst.shape.length ||
      srcWidth !== width
    ) {
      throw new TrainingConfigError(
        `${file}: ${name} is [${src.shape}], the model's is [${dst.shape}] (a box head of another width?)`,
      );
    }
    const block = rowsPerClass * width;
    const from = src.data as Float32Array;
    const data = Float32Array.from(dst.data as Float32Array);
    plan.sourceOf.forEach((s, j) => {
      if (s !== null) data.set(from.subarray(s * block, (s + 1) * block), j * block);
    });
    out.set(name, { dtype: 'float32', shape: [...dst.shape], data });
  }
  return out;
}
