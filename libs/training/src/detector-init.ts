import { StateDictError, type Module, type StateDict } from '@resdet/nn';
import type { LoadedWeights } from '@resdet/checkpoint';
import { cocoCategoryNames, readClassesFile } from '@resdet/inference';
import {
  PREDICTOR_KEYS,
  planClassTransfer,
  predictorClassCount,
  transferPredictorRows,
  type ClassTransferPlan,
} from './class-transfer';
import { TrainingConfigError } from './errors';

/** What starting a fine-tuning run from a full detector did (the run log states it). */
export interface DetectorInitReport extends ClassTransferPlan {
  file: string;
  /** Where the source's class names came from. */
  namesFrom: 'checkpoint' | 'coco' | 'from-classes' | 'none';
  /** Tensors loaded as they are (everything but the predictor). */
  loaded: number;
  /** Predictor tensors assembled row by row (carried rows + fresh rows); empty when the rows are the source's. */
  rebuilt: string[];
  /** Model tensors the source lacks (e.g. BatchNorm's optional counter): they keep their fresh values. */
  keptFresh: string[];
  /** Source tensors the model has no place for but may drop (e.g. `num_batches_tracked` into a frozen BN). */
  ignored: string[];
}

/**
 * The source detector's class names by label id: a `--from-classes` file (one per line, background first; a
 * file without the background line is accepted as the model does), the resdet checkpoint's sidecar, or
 * torchvision's COCO names for a 91-class model; undefined when none applies.
 */
export async function sourceClassNames(
  weights: LoadedWeights,
  fromClassesFile?: string,
): Promise<{ names?: string[]; from: DetectorInitReport['namesFrom'] }> {
  const count = predictorClassCount(weights.stateDict, weights.file);
  if (fromClassesFile) {
    let names = await readClassesFile(fromClassesFile);
    if (names.length === count - 1) names = ['__background__', ...names];
    if (names.length !== count) {
      throw new TrainingConfigError(
        `${fromClassesFile}: ${names.length} names, but ${weights.file} has ${count} classes (background first)`,
      );
    }
    return { names, from: 'from-classes' };
  }
  if (weights.meta?.classes?.length === count) return { names: weights.meta.classes, from: 'checkpoint' };
  if (count === 91) {
    const coco = await cocoCategoryNames();
    if (coco) return { names: coco, from: 'coco' };
  }
  return { from: 'none' };
}

/** Parameter and buffer names of a module tree. */
function slotNames(model: Module): Set<string> {
  return new Set([...model.namedParameters(), ...model.namedBuffers()].map(([n]) => n));
}

/**
 * Starts a fine-tuning run from a full detector: every tensor but the box predictor loads as it is (strictly:
 * a missing, unexpected or wrong-shape tensor is an error naming the file), and the predictor's rows are carried
 * by class name from the source's classes to `targetClasses` (see {@link planClassTransfer}); new classes keep
 * the rows `model` was built with (torchvision's init of `FastRCNNPredictor`'s linear layers).
 *
 * @example
 * const w = loadWeights('coco.pth');
 * const { names, from } = await sourceClassNames(w);
 * const report = initFromDetector(model, w, ['__background__', 'cat', 'fox'], names, from);
 */
export function initFromDetector(
  model: Module,
  weights: LoadedWeights,
  targetClasses: readonly string[],
  sourceNames: readonly string[] | undefined,
  namesFrom: DetectorInitReport['namesFrom'],
): DetectorInitReport {
  const file = weights.file;
  const source = weights.stateDict;
  const plan = planClassTransfer(
    { names: sourceNames, count: predictorClassCount(source, file), file },
    targetClasses,
  );
  const predictor = model.namedModules().find(([n]) => n === 'roi_heads.box_predictor')?.[1];
  if (!predictor) throw new TrainingConfigError('the model has no roi_heads.box_predictor');
  const fresh: StateDict = new Map(
    [...predictor.stateDict()].map(([k, v]) => [`roi_heads.box_predictor.${k}`, v]),
  );
  const rows = transferPredictorRows(source, fresh, plan, file);
  const merged: StateDict = new Map(source);
  for (const [k, v] of rows) merged.set(k, v);
  try {
    model.loadStateDict(merged, { strict: true });
  } catch (e) {
    if (!(e instanceof StateDictError)) throw e;
    throw new TrainingConfigError(
      `${file} does not fit the model the config describes (another arch or model setting?): ${e.message}`,
    );
  }
  const predictorKeys = new Set<string>(Object.values(PREDICTOR_KEYS));
  const slots = slotNames(model);
  const identity =
    plan.sourceOf.length === predictorClassCount(source, file) && plan.sourceOf.every((s, i) => s === i);
  return {
    ...plan,
    file,
    namesFrom,
    loaded: [...source.keys()].filter((k) => slots.has(k) && !predictorKeys.has(k)).length,
    rebuilt: identity ? [] : [...predictorKeys],
    keptFresh: [...slots].filter((k) => !source.has(k)),
    ignored: [...source.keys()].filter((k) => !slots.has(k)),
  };
}

function list(names: readonly string[], max = 20): string {
  if (!names.length) return 'none';
  const more = names.length > max ? `, … (${names.length - max} more)` : '';
  return names.slice(0, max).join(', ') + more;
}

/** The run-log lines for a {@link DetectorInitReport}: loaded / carried / new / dropped / re-initialised. */
export function describeDetectorInit(r: DetectorInitReport): string[] {
  const names =
    r.namesFrom === 'none'
      ? 'no class names in the source: predictor rows carried by position (same class count)'
      : `source class names from ${{ checkpoint: 'its checkpoint', coco: "torchvision's COCO list", 'from-classes': '--from-classes' }[r.namesFrom]}`;
  const lines = [
    `initialised from ${r.file}: ${r.loaded} tensors loaded as they are; ${names}`,
    `carried ${r.carried.length} class(es) + background: ${list(r.carried)}`,
    `new ${r.added.length} class(es), freshly initialised: ${list(r.added)}`,
    `dropped ${r.dropped.length} source class(es): ${list(r.dropped)}`,
    `re-initialised: ${r.added.length ? `the rows of the new classes in ${r.rebuilt.join(', ')}` : 'nothing'}` +
      (r.keptFresh.length ? `; kept fresh (absent from the source): ${list(r.keptFresh, 5)}` : ''),
  ];
  if (r.ignored.length) lines.push(`ignored ${r.ignored.length} source tensor(s): ${list(r.ignored, 5)}`);
  return lines;
}
