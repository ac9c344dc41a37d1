import * as fs from 'fs';
import * as path from 'path';
import type { StateDict } from '@resdet/nn';
import { readSafetensors, writeFileAtomic, writeSafetensors } from '@resdet/checkpoint';
import type { LossHistoryState } from './loss-history';
import { TrainingConfigError } from './errors';

/** The JSON part of a training checkpoint: everything besides tensors needed to continue exactly. */
export interface TrainingState {
  /** Completed iterations: the resumed run starts with this 0-based iteration. */
  iteration: number;
  /** `Rng.getState()` of every named generator the trainer was given. */
  rng: Record<string, number>;
  /** The batch stream's position (`BatchStream.getState()`), JSON. */
  data: unknown;
  history: LossHistoryState;
  /** Best evaluation so far by the configured metric. */
  best?: { metric: string; value: number; iteration: number };
  /** Every evaluation so far. */
  evaluations: { iteration: number; metrics: Record<string, number> }[];
}

/** Everything a resumed run needs. Tensors are host-side (torch layout, torchvision names). */
export interface TrainingCheckpoint {
  /** `model.stateDict()`: parameters and buffers. */
  model: StateDict;
  /** `optimizer.stateDict()`: e.g. `momentum_buffer.<param>`. */
  optimizer: StateDict;
  state: TrainingState;
}

/** Where the trainer keeps checkpoints. Writes must be atomic: a reader sees the old or the new one. */
export interface CheckpointStore {
  /** Saves a resumable checkpoint and makes it the latest; returns where it went (for logs). */
  save(ckpt: TrainingCheckpoint): Promise<string>;
  /** Saves the model as the best one so far (with its metrics). */
  saveBest(ckpt: TrainingCheckpoint, metrics: Record<string, number>): Promise<string>;
  /** The latest resumable checkpoint, or undefined when there is none. */
  loadLatest(): Promise<{ ckpt: TrainingCheckpoint; location: string } | undefined>;
}

export interface DirectoryCheckpointStoreOptions {
  /** Folder of the checkpoints (created on first save). */
  dir: string;
  /** Resumable checkpoints kept (oldest deleted first); default 3. */
  keepLast?: number;
  /**
   * Extra sidecar fields written beside every model file (e.g. `{ config, classes }`) so that a
   * checkpoint is also a resdet weights file for `detect`/`eval`.
   */
  sidecar?: Record<string, unknown>;
}

interface IndexFile {
  format: 'resdet-training-checkpoints';
  version: 1;
  /** Base names (`iter-00001000`), oldest first; the last one is the latest. */
  kept: string[];
  best?: { name: string; iteration: number; metrics: Record<string, number> };
}

const INDEX = 'checkpoints.json';

/**
 * Checkpoints in a folder, written with @resdet/checkpoint's atomic safetensors writer:
 *
 *     iter-00001000.safetensors        model state dict (torchvision names) — usable as weights
 *     iter-00001000.json               sidecar: { ...sidecar, iteration, training: TrainingState }
 *     iter-00001000.optim.safetensors  optimizer state (momentum buffers)
 *     best.safetensors, best.json      best model so far (sidecar has its metrics)
 *     checkpoints.json                 index: kept checkpoints (latest last) and best
 *
 * Each file is written to a temp file and renamed; the index is written last, so a crash mid-save
 * leaves the previous checkpoint as the latest. Old checkpoints beyond `keepLast` are deleted after
 * the index no longer names them.
 *
 * @example
 * const store = new DirectoryCheckpointStore({ dir: 'runs/a/checkpoints', keepLast: 3, sidecar: { config } });
 */
export class DirectoryCheckpointStore implements CheckpointStore {
  readonly dir: string;
  readonly keepLast: number;
  private readonly sidecar: Record<string, unknown>;

  constructor(opts: DirectoryCheckpointStoreOptions) {
    this.dir = opts.dir;
    this.keepLast = opts.keepLast ?? 3;
    if (!Number.isInteger(this.keepLast) || this.keepLast < 1) {
      throw new TrainingConfigError(`checkpoint.keepLast must be an integer ≥ 1, got ${opts.keepLast}`);
    }
    this.sidecar = opts.sidecar ?? {};
  }

  async save(ckpt: TrainingCheckpoint): Promise<string> {
    const name = `iter-${String(ckpt.state.iteration).padStart(8, '0')}`;
    const index = this.readIndex();
    writeSafetensors(this.file(`${name}.optim.safetensors`), ckpt.optimizer);
    this.writeModel(name, ckpt, { training: ckpt.state });
    const kept = [...index.kept.filter((n) => n !== name), name];
    const dropped = kept.splice(0, Math.max(0, kept.length - this.keepLast));
    this.writeIndex({ ...index, kept });
    for (const n of dropped) {
      for (const f of [`${n}.safetensors`, `${n}.json`, `${n}.optim.safetensors`])
        fs.rmSync(this.file(f), { force: true });
    }
    return this.file(`${name}.safetensors`);
  }

  async saveBest(ckpt: TrainingCheckpoint, metrics: Record<string, number>): Promise<string> {
    this.writeModel('best', ckpt, { metrics });
    const index = this.readIndex();
    this.writeIndex({ ...index, best: { name: 'best', iteration: ckpt.state.iteration, metrics } });
    return this.file('best.safetensors');
  }

  async loadLatest(): Promise<{ ckpt: TrainingCheckpoint; location: string } | undefined> {
    const index = this.readIndex();
    const name = index.kept[index.kept.length - 1];
    if (!name) return undefined;
    const location = this.file(`${name}.safetensors`);
    const sidecarFile = this.file(`${name}.json`);
    let sidecar: { training?: TrainingState };
    try {
      sidecar = JSON.parse(fs.readFileSync(sidecarFile, 'utf8'));
    } catch (e) {
      throw new TrainingConfigError(
        `checkpoint ${sidecarFile}: cannot read the sidecar (${(e as Error).message})`,
      );
    }
    if (!sidecar.training || typeof sidecar.training.iteration !== 'number') {
      throw new TrainingConfigError(
        `checkpoint ${sidecarFile}: no "training" state (not a resumable checkpoint)`,
      );
    }
    const model = readSafetensors(location).tensors;
    const optimizer = readSafetensors(this.file(`${name}.optim.safetensors`)).tensors;
    return { ckpt: { model, optimizer, state: sidecar.training }, location };
  }

  /** Index of the folder (empty when there is none yet). */
  readIndex(): IndexFile {
    const f = this.file(INDEX);
    if (!fs.existsSync(f)) return { format: 'resdet-training-checkpoints', version: 1, kept: [] };
    const parsed = JSON.parse(fs.readFileSync(f, 'utf8')) as IndexFile;
    if (parsed.format !== 'resdet-training-checkpoints' || !Array.isArray(parsed.kept)) {
      throw new TrainingConfigError(
        `${f}: not a resdet checkpoint index (format ${JSON.stringify(parsed.format)})`,
      );
    }
    return parsed;
  }

  private writeModel(name: string, ckpt: TrainingCheckpoint, extra: Record<string, unknown>): void {
    writeSafetensors(this.file(`${name}.safetensors`), ckpt.model, { format: 'pt' });
    const sidecar = { ...this.sidecar, iteration: ckpt.state.iteration, ...extra };
    writeFileAtomic(this.file(`${name}.json`), JSON.stringify(sidecar, null, 1));
  }

  private writeIndex(index: IndexFile): void {
    writeFileAtomic(this.file(INDEX), JSON.stringify(index, null, 1));
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }
}
