import { CheckpointError } from './checkpoint-error';
import { DTYPE_BYTES } from './dtypes';
import { PickleCallable, PickleDict, PickleTuple } from './pickle';
import {
  StorageLocation,
  StorageRef,
  TORCH_STORAGE_DTYPES,
  TORCH_STORAGE_ELEMENT_BYTES,
  TensorRef,
  UNSUPPORTED_TORCH_STORAGES,
  storageDType,
} from './torch-tensor-ref';

/** A whitelisted torch type that may appear as an argument (e.g. a storage class) but is never called. */
export class TorchTypeMarker implements PickleCallable {
  constructor(
    readonly qualifiedName: string,
    readonly file: string,
  ) {}
  get shortName(): string {
    return this.qualifiedName.slice(this.qualifiedName.lastIndexOf('.') + 1);
  }
  call(): never {
    throw new CheckpointError(
      `pickle tries to construct ${this.qualifiedName}, which resdet does not allow`,
      this.file,
    );
  }
}

const fn = (qualifiedName: string, call: (args: unknown[]) => unknown): PickleCallable => ({
  qualifiedName,
  call,
});

function intList(v: unknown, what: string, file: string): number[] {
  const items = v instanceof PickleTuple ? v.items : Array.isArray(v) ? v : undefined;
  if (!items || !items.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    throw new CheckpointError(`tensor ${what} must be a tuple of non-negative ints, got ${String(v)}`, file);
  }
  return items as number[];
}

function rebuildTensor(args: unknown[], file: string): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef))
    throw new CheckpointError('_rebuild_tensor: first argument is not a storage', file);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new CheckpointError(`_rebuild_tensor: invalid storage offset ${String(offset)}`, file);
  }
  const shape = intList(size, 'size', file);
  const strides = intList(stride, 'stride', file);
  if (shape.length !== strides.length) {
    throw new CheckpointError(
      `_rebuild_tensor: size has ${shape.length} dims but stride has ${strides.length}`,
      file,
    );
  }
  return new TensorRef(storage, offset, shape, strides);
}

/**
 * The globals a torch state-dict pickle may reference, implemented in TypeScript: OrderedDict, the
 * tensor/parameter rebuild functions (returning lazy TensorRefs) and torch's storage and tensor types
 * (inert markers). Everything else stays outside the whitelist.
 */
export function torchPickleGlobals(file: string): Map<string, PickleCallable> {
  const g = new Map<string, PickleCallable>();
  const add = (c: PickleCallable) => g.set(c.qualifiedName, c);
  add(
    fn('collections.OrderedDict', (args) => {
      const d = new PickleDict();
      const init = args[0];
      if (Array.isArray(init)) {
        for (const kv of init)
          if (kv instanceof PickleTuple && kv.items.length === 2) d.set(kv.items[0], kv.items[1]);
      }
      return d;
    }),
  );
  add(fn('torch._utils._rebuild_tensor', (a) => rebuildTensor(a, file)));
  add(fn('torch._utils._rebuild_tensor_v2', (a) => rebuildTensor(a, file)));
  add(fn('torch._utils._rebuild_parameter', (a) => a[0]));
  add(fn('torch._utils._rebuild_parameter_with_state', (a) => a[0]));
  add(
    fn('torch._tensor._rebuild_from_type_v2', (a) => {
      const [inner, , args] = a;
      if (!inner || typeof (inner as PickleCallable).call !== 'function' || !(args instanceof PickleTuple)) {
        throw new CheckpointError('_rebuild_from_type_v2: unexpected arguments', file);
      }
      return (inner as PickleCallable).call(args.items);
    }),
  );
  for (const t of ['torch.Tensor', 'torch.nn.parameter.Parameter', 'torch.device'])
    add(new TorchTypeMarker(t, file));
  for (const s of [...Object.keys(TORCH_STORAGE_DTYPES), ...UNSUPPORTED_TORCH_STORAGES, 'UntypedStorage']) {
    add(new TorchTypeMarker(`torch.${s}`, file));
  }
  return g;
}

/** A storage as named by a persistent id, before its bytes are located. */
export interface StorageId {
  key: string;
  storageType: string;
  numel: number;
  /** Legacy-format views: (view key, element offset into the root storage, view numel). */
  view?: { key: string; offset: number; numel: number };
}

/**
 * Parses torch's storage persistent id: `('storage', storage_type, key, location, numel)` in zip
 * files, plus a 6th `view_metadata` element in the legacy format.
 */
export function parseStoragePid(pid: unknown, file: string): StorageId {
  const items = pid instanceof PickleTuple ? pid.items : undefined;
  if (!items || items[0] !== 'storage') {
    const what = items && typeof items[0] === 'string' ? `'${items[0]}'` : String(pid);
    throw new CheckpointError(
      `persistent id ${what} is not a tensor storage (full pickled nn.Module objects are not supported; save a state_dict)`,
      file,
    );
  }
  const [, type, key, , numel, viewMeta] = items;
  if (!(type instanceof TorchTypeMarker))
    throw new CheckpointError(`storage ${String(key)}: unknown storage type`, file);
  if (typeof key !== 'string' && typeof key !== 'number')
    throw new CheckpointError('storage key is not a string', file);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    throw new CheckpointError(`storage ${key}: invalid size ${String(numel)}`, file);
  }
  const id: StorageId = { key: String(key), storageType: type.shortName, numel };
  if (viewMeta instanceof PickleTuple) {
    const [vk, off, n] = viewMeta.items;
    if (typeof off !== 'number' || typeof n !== 'number')
      throw new CheckpointError(`storage ${key}: bad view metadata`, file);
    id.view = { key: String(vk), offset: off, numel: n };
  }
  return id;
}

/**
 * Builds the StorageRef for a persistent id. `locate(key, elementBytes, numel)` finds the root
 * storage's element 0 and validates that its `numel` elements exist.
 */
export function makeStorageRef(
  id: StorageId,
  file: string,
  locate: (key: string, elementBytes: number, numel: number) => StorageLocation,
): StorageRef {
  const dtype = storageDType(id.storageType);
  const elementBytes = TORCH_STORAGE_ELEMENT_BYTES[id.storageType] ?? (dtype ? DTYPE_BYTES[dtype] : 1);
  const root = () => locate(id.key, elementBytes, id.numel);
  if (!id.view) return new StorageRef(id.key, dtype, id.storageType, id.numel, file, root);
  const v = id.view;
  if (v.offset < 0 || v.offset + v.numel > id.numel) {
    throw new CheckpointError(`storage view ${v.key} runs past its root storage ${id.key}`, file);
  }
  return new StorageRef(v.key, dtype, id.storageType, v.numel, file, () => {
    const r = root();
    return { source: r.source, byteOffset: r.byteOffset + v.offset * elementBytes };
  });
}
