import { BufferSource, ByteSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { PickleInput } from './pickle-input';
import { unpickle } from './pickle';
import { makeStorageRef, parseStoragePid, torchPickleGlobals } from './torch-pickle';
import { StorageLocation } from './torch-tensor-ref';
import { entryDataOffset, readEntry, readZipDirectory } from './zip-directory';

/** What a torch file's main pickle holds, with every tensor still a lazy TensorRef. */
export interface TorchPickleContent {
  format: 'zip' | 'legacy';
  root: unknown;
}

/**
 * Reads a torch >= 1.6 zip checkpoint: `<archive>/data.pkl` (the object, tensors by persistent id)
 * and `<archive>/data/<key>` (raw little-endian storages, stored uncompressed). Only the directory and
 * `data.pkl` are read here; tensor bytes are read when each TensorRef is materialised.
 */
export function readTorchZip(src: ByteSource): TorchPickleContent {
  const entries = readZipDirectory(src);
  const pkls = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new CheckpointError(
      pkls.length
        ? `zip holds ${pkls.length} data.pkl files`
        : 'zip has no <archive>/data.pkl: not a torch checkpoint',
      src.name,
    );
  }
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && Buffer.from(readEntry(src, byteorder)).toString('utf8').trim() !== 'little') {
    throw new CheckpointError('big-endian torch checkpoints are not supported', src.name);
  }
  const located = new Map<string, StorageLocation>();
  const locate = (key: string, elementBytes: number, numel: number): StorageLocation => {
    let loc = located.get(key);
    const entry = entries.get(`${prefix}data/${key}`);
    if (!entry)
      throw new CheckpointError(`storage ${key} is missing (no ${prefix}data/${key} in the zip)`, src.name);
    if (entry.size < elementBytes * numel) {
      throw new CheckpointError(
        `storage ${key} has ${entry.size} bytes, needs ${elementBytes * numel}`,
        src.name,
      );
    }
    if (!loc) {
      loc =
        entry.method === 0
          ? { source: src, byteOffset: entryDataOffset(src, entry) }
          : { source: new BufferSource(readEntry(src, entry), src.name), byteOffset: 0 };
      located.set(key, loc);
    }
    return loc;
  };
  const pkl = readEntry(src, entries.get(pkls[0])!);
  const root = unpickle(new PickleInput(new BufferSource(pkl, src.name)), {
    globals: torchPickleGlobals(src.name),
    unknownGlobals: 'opaque',
    persistentLoad: (pid) => makeStorageRef(parseStoragePid(pid, src.name), src.name, locate),
  });
  return { format: 'zip', root };
}
