import { StateDict } from '@resdet/nn';
import { ByteSource, withFileSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { findStateDict, materializeStateDict } from './find-state-dict';
import { looksLikeSafetensors, readSafetensorsSource } from './safetensors';
import { readTorchLegacy } from './torch-legacy';
import { readTorchZip } from './torch-zip';
import { unwrapStateDict } from './torchvision-keys';

export type WeightsFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** A state dict read from a weights file, with where it came from. */
export interface WeightsFile {
  format: WeightsFormat;
  stateDict: StateDict;
  /** Dotted path of the state dict inside a torch object ('' at the top, 'model' for `{"model": sd}`). */
  path: string;
  /** safetensors `__metadata__` (empty for torch files). */
  metadata: Record<string, string>;
  /** Wrapper prefixes removed from every key (`module.` from DataParallel); empty when none. */
  stripped: string[];
}

/** Decides a file's format from its first bytes (zip 'PK', legacy pickle 0x80 + magic, safetensors header). */
export function sniffWeightsFormat(head: Uint8Array, fileSize: number): WeightsFormat | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)
    return 'torch-zip';
  // Legacy: PROTO n, then LONG1 of 10 bytes (the magic number 0x1950a86a20f9469cfc6c, little-endian).
  if (head.length >= 14 && head[0] === 0x80 && head[2] === 0x8a && head[3] === 0x0a) {
    const magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    if (magic.every((b, i) => head[4 + i] === b)) return 'torch-legacy';
  }
  if (looksLikeSafetensors(head, fileSize)) return 'safetensors';
  return undefined;
}

/** Reads a weights source of any supported format (see readWeightsFile). */
export function readWeightsSource(src: ByteSource): WeightsFile {
  if (src.size === 0) throw new CheckpointError('empty file', src.name);
  const head = src.read(0, Math.min(16, src.size));
  const format = sniffWeightsFormat(head, src.size);
  if (format === 'safetensors') {
    const { tensors, metadata } = readSafetensorsSource(src);
    return { format, path: '', metadata, ...unwrapStateDict(tensors) };
  }
  if (format === 'torch-zip' || format === 'torch-legacy') {
    const { root } = format === 'torch-zip' ? readTorchZip(src) : readTorchLegacy(src);
    const { path, tensors } = findStateDict(root, src.name);
    return { format, path, metadata: {}, ...unwrapStateDict(materializeStateDict(tensors)) };
  }
  const hex = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointError(
    `not a checkpoint: unrecognised format (first bytes ${hex}); expected a torch .pth/.pt (zip or legacy) or a .safetensors file`,
    src.name,
  );
}

/**
 * Reads a weights file — torch `.pth`/`.pt` (zip or legacy format) or `.safetensors` — chosen by its
 * magic bytes, not its extension, and returns the state dict in torch names and layouts (float16 and
 * bfloat16 widened to Float32Array, int64 as BigInt64Array). Wrapper prefixes on every key (`module.`
 * from DataParallel, `_orig_mod.` from torch.compile) are removed, and a dict nested under `model`,
 * `state_dict`, … is found (see findStateDict), as torch scripts do before load_state_dict. Torch files are read without Python and
 * without executing pickled code. Throws CheckpointError naming the file for truncated, corrupt or
 * non-checkpoint files and unsupported dtypes.
 */
export function readWeightsFile(path: string): WeightsFile {
  return withFileSource(path, readWeightsSource);
}

/**
 * The state dict of any supported weights file (torch zip/legacy `.pth`, `.safetensors`).
 *
 * @example
 * const sd = readStateDict('resnet50.pth');
 * sd.get('conv1.weight')!.shape; // [64, 3, 7, 7] (torch OIHW)
 */
export function readStateDict(path: string): StateDict {
  return readWeightsFile(path).stateDict;
}
