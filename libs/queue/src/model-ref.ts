import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import * as path from 'node:path';
import { checkpointPaths, isResdetCheckpoint } from '@resdet/checkpoint';
import type { ModelSource } from '@resdet/inference';
import type { ModelRef } from './detect-task';

const FILE_FIELDS = ['config', 'weights', 'classesFile'] as const;

/** SHA-256 of a file, streamed (weights can be hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The model a run uses, as workers will load it: file paths made absolute (workers resolve nothing against
 * their own working folder) and hashed, so a worker can tell a stale or different copy on its host. A
 * resdet checkpoint's JSON sidecar is hashed with its weights. Names that are not files (e.g. a registry
 * name) are passed as they are.
 */
export async function describeModel(src: ModelSource): Promise<ModelRef> {
  const source: ModelSource = { ...src };
  const hashes: Record<string, string> = {};
  for (const field of FILE_FIELDS) {
    const value = source[field];
    if (!value) continue;
    const abs = path.resolve(value);
    // A resdet checkpoint may be named by its base, .json or .safetensors: hash both of its files.
    const files =
      field === 'weights' && isResdetCheckpoint(abs)
        ? [checkpointPaths(abs).weights, checkpointPaths(abs).sidecar]
        : existsSync(abs)
          ? [abs]
          : [];
    if (files.length === 0) continue;
    source[field] = abs;
    for (const f of files) hashes[f] = await sha256File(f);
  }
  for (const k of Object.keys(source) as (keyof ModelSource)[]) if (source[k] === undefined) delete source[k];
  return { source, hashes };
}

/** Cache key of a model: its flags and the content of its files (a changed file is a different model). */
export function modelCacheKey(ref: ModelRef): string {
  const sorted = (o: object) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify([sorted(ref.source), sorted(ref.hashes)]);
}

/** Throws when a model file on this host differs from (or is missing compared with) the submitter's. */
export async function verifyModelFiles(ref: ModelRef): Promise<void> {
  for (const [file, want] of Object.entries(ref.hashes)) {
    if (!existsSync(file)) {
      throw new Error(`model file ${file} is not on this host (inputs and models must be on shared storage)`);
    }
    const got = await sha256File(file);
    if (got !== want) {
      throw new Error(
        `model file ${file} differs on this host (sha256 ${got.slice(0, 12)}…, submitted ${want.slice(0, 12)}…)`,
      );
    }
  }
}
