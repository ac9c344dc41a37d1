import { ByteSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { PickleDict, unpickle } from './pickle';
import { PickleInput } from './pickle-input';
import { StorageId, makeStorageRef, parseStoragePid, torchPickleGlobals } from './torch-pickle';
import { StorageLocation, TORCH_STORAGE_ELEMENT_BYTES } from './torch-tensor-ref';
import { TorchPickleContent } from './torch-zip';

/** torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file. */
export const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** torch.serialization.PROTOCOL_VERSION, the second pickle. */
export const TORCH_LEGACY_PROTOCOL = 1001;

/**
 * Reads torch's legacy (pre-1.6, `_use_new_zipfile_serialization=False`) format, in which many
 * published torchvision weights are stored: pickles of the magic number, protocol version and
 * sys_info, then the object (tensors by persistent id `('storage', type, key, location, numel,
 * view_metadata)`), then the sorted list of storage keys, then each storage as an 8-byte
 * little-endian element count followed by its raw bytes. Only pickles and the 8-byte counts are read
 * here; tensor bytes are read when each TensorRef is materialised.
 */
export function readTorchLegacy(src: ByteSource): TorchPickleContent {
  const input = new PickleInput(src, 0);
  const plain = { globals: new Map() };
  const magic = unpickle(input, plain);
  if (magic !== TORCH_LEGACY_MAGIC)
    throw new CheckpointError('not a torch legacy checkpoint (bad magic number)', src.name);
  const protocol = unpickle(input, plain);
  if (protocol !== TORCH_LEGACY_PROTOCOL) {
    throw new CheckpointError(`unsupported torch legacy protocol version ${String(protocol)}`, src.name);
  }
  const sysInfo = unpickle(input, plain);
  if (sysInfo instanceof PickleDict && sysInfo.get('little_endian') === false) {
    throw new CheckpointError('big-endian torch checkpoints are not supported', src.name);
  }

  const roots = new Map<string, StorageId>();
  const layout = new Map<string, { offset: number; numel: number }>();
  const locate = (key: string, elementBytes: number, numel: number): StorageLocation => {
    const l = layout.get(key);
    if (!l) throw new CheckpointError(`storage ${key} is not in the file's storage list`, src.name);
    if (l.numel < numel)
      throw new CheckpointError(`storage ${key} has ${l.numel} elements, needs ${numel}`, src.name);
    return { source: src, byteOffset: l.offset };
  };
  const root = unpickle(input, {
    globals: torchPickleGlobals(src.name),
    unknownGlobals: 'opaque',
    persistentLoad: (pid) => {
      const id = parseStoragePid(pid, src.name);
      roots.set(id.key, id);
      return makeStorageRef(id, src.name, locate);
    },
  });
  const keys = unpickle(input, plain);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new CheckpointError('legacy checkpoint: storage key list is missing or malformed', src.name);
  }
  let pos = input.pos;
  for (const key of keys as string[]) {
    const id = roots.get(key);
    if (!id)
      throw new CheckpointError(`legacy checkpoint: storage ${key} is listed but never used`, src.name);
    const elementBytes = TORCH_STORAGE_ELEMENT_BYTES[id.storageType] ?? 1;
    if (pos + 8 > src.size)
      throw new CheckpointError(`truncated file: storage ${key} header at ${pos} is past the end`, src.name);
    const head = src.read(pos, 8);
    const numel = Number(new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, true));
    const end = pos + 8 + numel * elementBytes;
    if (numel < 0 || end > src.size) {
      throw new CheckpointError(
        `truncated file: storage ${key} (${numel} × ${elementBytes} bytes) ends at ${end}, file has ${src.size} bytes`,
        src.name,
      );
    }
    layout.set(key, { offset: pos + 8, numel });
    pos = end;
  }
  return { format: 'legacy', root };
}
