import { LoadReport, LoadStateDictOptions, Module, StateDict, StateDictError } from '@resdet/nn';
import { CheckpointError } from './checkpoint-error';
import { upgradeTorchvisionKeys } from './torchvision-keys';

/** Predictor weights whose shape depends on the number of classes (detection and classification). */
const CLASS_DEPENDENT = /(^|\.)(box_predictor\.(cls_score|bbox_pred)|fc|classifier)\.(weight|bias)$/;

function listKeys(label: string, keys: readonly string[], max: number): string {
  const shown = keys.slice(0, max).join(', ');
  const more = keys.length > max ? `, … and ${keys.length - max} more` : '';
  return `${label} (${keys.length}): ${shown}${more}`;
}

/** Hints for common causes of a failed load, from the key lists alone. */
function hints(missing: readonly string[], unexpected: readonly string[]): string[] {
  const out: string[] = [];
  if (unexpected.length && unexpected.every((k) => k.startsWith('module.'))) {
    out.push("hint: every checkpoint key starts with 'module.' (saved from DataParallel); strip that prefix");
  }
  const probe: StateDict = new Map(
    unexpected.map((k) => [k, { dtype: 'float32', shape: [], data: new Float32Array(1) }]),
  );
  if (upgradeTorchvisionKeys(probe).renamed.length) {
    out.push(
      "hint: the checkpoint uses torchvision's pre-0.13 key names (e.g. rpn.head.conv.weight); load it through upgradeTorchvisionKeys",
    );
  }
  if (missing.some((k) => k.startsWith('backbone.body.')) && unexpected.some((k) => /^layer\d\./.test(k))) {
    out.push(
      'hint: this looks like a classification ResNet checkpoint; a detector takes it as backbone weights',
    );
  }
  return out;
}

/**
 * The house-style message for a state dict that does not fit a model: one line per wrong-shape key
 * with both shapes (class-dependent predictor keys get `(--num-classes?)`), then the missing and
 * unexpected keys (when `strict`), then hints. Wrap it in a CheckpointError to prefix the file.
 *
 * @example
 * // roi_heads.box_predictor.cls_score.weight is [91, 1024], model expects [21, 1024] (--num-classes?)
 */
export function formatStateDictError(
  err: StateDictError,
  opts: { strict?: boolean; maxKeys?: number } = {},
): string {
  const strict = opts.strict ?? true;
  const max = opts.maxKeys ?? 10;
  const lines = err.mismatched.map((m) =>
    CLASS_DEPENDENT.test(m.split(' ')[0]) ? `${m} (--num-classes?)` : m,
  );
  if (strict && err.missing.length) lines.push(listKeys('missing keys', err.missing, max));
  if (strict && err.unexpected.length) lines.push(listKeys('unexpected keys', err.unexpected, max));
  lines.push(...hints(err.missing, err.unexpected));
  if (lines.length === 1) return lines[0];
  return `state dict does not fit the model:\n  ${lines.join('\n  ')}`;
}

/** One log line for a successful (possibly non-strict) load. */
export function formatLoadReport(report: LoadReport, file: string, loaded: number, maxKeys = 10): string {
  const parts = [`loaded ${loaded} tensors from ${file}`];
  if (report.missing.length) parts.push(listKeys('missing', report.missing, maxKeys));
  if (report.unexpected.length) parts.push(listKeys('unexpected', report.unexpected, maxKeys));
  return parts.join('; ');
}

/**
 * `module.loadStateDict(sd, opts)` with load failures reported as a CheckpointError that names
 * `file` and lists wrong-shape, missing and unexpected keys (nothing is assigned when it throws).
 */
export function loadStateDictFromFile(
  module: Module,
  sd: StateDict,
  file: string,
  opts: LoadStateDictOptions = {},
): LoadReport {
  try {
    return module.loadStateDict(sd, opts);
  } catch (e) {
    if (e instanceof StateDictError)
      throw new CheckpointError(formatStateDictError(e, { strict: opts.strict ?? true }), file);
    throw e;
  }
}
