import * as crypto from 'crypto';
import * as fs from 'fs';
import { StateDict } from '@resdet/nn';
import { writeFileAtomic } from './atomic-write';
import { CheckpointError } from './checkpoint-error';
import { readSafetensors, writeSafetensors } from './safetensors';

/**
 * The JSON sidecar of a resdet checkpoint. Everything is optional so that a plain weights file with a
 * hand-written sidecar (`{"arch": …, "classes": […]}`) is valid; unknown fields are kept.
 */
export interface CheckpointMeta {
  format?: 'resdet-checkpoint';
  version?: number;
  /** Architecture name as the CLI takes it (`fasterrcnn_resnet50_fpn`, `resnet18`, …). */
  arch?: string;
  /** The resolved model config (e.g. a FasterRcnnConfig). */
  config?: Record<string, unknown>;
  /** Class names, index = label id (index 0 is background for detectors). */
  classes?: string[];
  numClasses?: number;
  /** Completed training iterations (optimizer steps). */
  iteration?: number;
  epoch?: number;
  /** Named RNG states (`Rng.getState()`), so a resumed run draws the same numbers. */
  rng?: Record<string, number>;
  /** Trainer-defined resumable state (data position, loss history, LR schedule, …). */
  training?: unknown;
  metrics?: Record<string, number>;
  /** Ties the files of one save together; a mismatch means an interrupted save. */
  saveId?: string;
  [key: string]: unknown;
}

/** A resdet checkpoint in memory: model tensors, optional optimizer tensors, sidecar. */
export interface ResdetCheckpoint {
  /** Model state dict (torchvision names, torch layouts). */
  model: StateDict;
  /** Optimizer state as tensors, e.g. `momentum_buffer.<param name>` (SGD momentum buffers). */
  optimizer?: StateDict;
  meta: CheckpointMeta;
}

/** The files of a checkpoint named `<base>`. */
export interface CheckpointPaths {
  /** `<base>.safetensors`: the model, usable on its own as weights. */
  weights: string;
  /** `<base>.json`: the sidecar, written last. */
  sidecar: string;
  /** `<base>.optim.safetensors`: optimizer tensors (only when saved). */
  optimizer: string;
}

/** Paths of a checkpoint given its base name, its `.safetensors` or its `.json` file. */
export function checkpointPaths(file: string): CheckpointPaths {
  const base = file.replace(/(\.optim)?\.safetensors$|\.json$/, '');
  return { weights: `${base}.safetensors`, sidecar: `${base}.json`, optimizer: `${base}.optim.safetensors` };
}

/** True when `file` (a base, `.safetensors` or `.json`) has a resdet sidecar beside its weights. */
export function isResdetCheckpoint(file: string): boolean {
  const p = checkpointPaths(file);
  return fs.existsSync(p.sidecar) && fs.existsSync(p.weights);
}

function validateMeta(meta: unknown, file: string): CheckpointMeta {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw new CheckpointError('sidecar is not a JSON object', file);
  const m = meta as CheckpointMeta;
  const bad = (field: string, want: string, got: unknown) =>
    new CheckpointError(`${field} must be ${want}, got ${JSON.stringify(got)}`, file);
  if (m.arch !== undefined && typeof m.arch !== 'string') throw bad('arch', 'a string', m.arch);
  if (
    m.classes !== undefined &&
    !(Array.isArray(m.classes) && m.classes.every((c) => typeof c === 'string'))
  ) {
    throw bad('classes', 'a list of strings', m.classes);
  }
  for (const k of ['iteration', 'epoch'] as const) {
    if (m[k] !== undefined && !(Number.isInteger(m[k]) && (m[k] as number) >= 0))
      throw bad(k, 'an integer ≥ 0', m[k]);
  }
  if (m.numClasses !== undefined && !(Number.isInteger(m.numClasses) && m.numClasses > 0)) {
    throw bad('numClasses', 'an integer ≥ 1', m.numClasses);
  }
  if (
    m.rng !== undefined &&
    !(typeof m.rng === 'object' && m.rng && Object.values(m.rng).every(Number.isInteger))
  ) {
    throw bad('rng', 'an object of integer states', m.rng);
  }
  return m;
}

/** Reads and validates a checkpoint's sidecar (fields with the wrong type are a CheckpointError naming it). */
export function readCheckpointMeta(file: string): CheckpointMeta {
  const { sidecar } = checkpointPaths(file);
  let text: string;
  try {
    text = fs.readFileSync(sidecar, 'utf8');
  } catch (e) {
    throw new CheckpointError(`cannot read the sidecar: ${(e as Error).message}`, sidecar);
  }
  try {
    return validateMeta(JSON.parse(text), sidecar);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`sidecar is not valid JSON: ${(e as Error).message}`, sidecar);
  }
}

/**
 * Saves a checkpoint as `<base>.safetensors` (+ `<base>.optim.safetensors`) + `<base>.json`, each
 * written atomically (temp file + rename), the sidecar last. A fresh `saveId` goes into every file so
 * that `loadCheckpoint` detects files from different saves (a crash between renames).
 *
 * @example
 * saveCheckpoint('runs/a/iter-1000', { model: net.stateDict(), optimizer: sgd.stateDict(),
 *   meta: { arch: 'fasterrcnn_resnet18_fpn', classes, iteration: 1000, rng: { sampler: rng.getState() } } });
 */
export function saveCheckpoint(file: string, ckpt: ResdetCheckpoint): CheckpointPaths {
  const paths = checkpointPaths(file);
  const saveId = crypto.randomBytes(8).toString('hex');
  const meta: CheckpointMeta = { format: 'resdet-checkpoint', version: 1, ...ckpt.meta, saveId };
  validateMeta(meta, paths.sidecar);
  const stamp: Record<string, string> = { format: 'pt', 'resdet.saveId': saveId };
  if (meta.iteration !== undefined) stamp['resdet.iteration'] = String(meta.iteration);
  if (ckpt.optimizer) writeSafetensors(paths.optimizer, ckpt.optimizer, stamp);
  else fs.rmSync(paths.optimizer, { force: true });
  writeSafetensors(paths.weights, ckpt.model, stamp);
  writeFileAtomic(paths.sidecar, `${JSON.stringify(meta, null, 1)}\n`);
  return paths;
}

/**
 * Loads a resdet checkpoint from its base name, `.safetensors` or `.json` path. The optimizer file is
 * read when present (skip it with `{ optimizer: false }` for inference). Throws CheckpointError naming
 * the file when a part is missing or unreadable, or when the parts come from different saves.
 */
export function loadCheckpoint(
  file: string,
  opts: { optimizer?: boolean } = {},
): ResdetCheckpoint & { paths: CheckpointPaths } {
  const paths = checkpointPaths(file);
  const meta = readCheckpointMeta(file);
  const weights = readSafetensors(paths.weights);
  const check = (name: string, md: Record<string, string>) => {
    const id = md['resdet.saveId'];
    if (meta.saveId && id && id !== meta.saveId) {
      throw new CheckpointError(
        `${name} and ${paths.sidecar} come from different saves (interrupted write?)`,
        name,
      );
    }
  };
  check(paths.weights, weights.metadata);
  let optimizer: StateDict | undefined;
  if ((opts.optimizer ?? true) && fs.existsSync(paths.optimizer)) {
    const o = readSafetensors(paths.optimizer);
    check(paths.optimizer, o.metadata);
    optimizer = o.tensors;
  }
  return { model: weights.tensors, optimizer, meta, paths };
}
