import { HostDType, HostTensor, numel, shapeToString } from '@resdet/nn';
import { ByteSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { DTYPE_BYTES, decodeElements } from './dtypes';

/** torch storage classes (as named in pickles) → host dtypes. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, HostDType>> = Object.freeze({
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
});

/** torch storage classes resdet recognises but cannot represent (reported by name). */
export const UNSUPPORTED_TORCH_STORAGES: readonly string[] = Object.freeze([
  'ShortStorage',
  'CharStorage',
  'ComplexFloatStorage',
  'ComplexDoubleStorage',
  'QInt8Storage',
  'QUInt8Storage',
  'QInt32Storage',
]);

/** Bytes per element of every torch storage class resdet knows (supported or not), to skip their data. */
export const TORCH_STORAGE_ELEMENT_BYTES: Readonly<Record<string, number>> = Object.freeze({
  FloatStorage: 4,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ByteStorage: 1,
  BoolStorage: 1,
  UntypedStorage: 1,
  DoubleStorage: 8,
  ShortStorage: 2,
  CharStorage: 1,
  ComplexFloatStorage: 8,
  ComplexDoubleStorage: 16,
  QInt8Storage: 1,
  QUInt8Storage: 1,
  QInt32Storage: 4,
});

/** Host dtype of a torch storage class name (`FloatStorage` → float32), undefined when unsupported. */
export function storageDType(storageType: string): HostDType | undefined {
  if (storageType === 'UntypedStorage') return 'uint8';
  return TORCH_STORAGE_DTYPES[storageType];
}

/** A torch storage inside a checkpoint: where its bytes are, not the bytes themselves. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: HostDType | undefined,
    /** torch storage class name, e.g. `FloatStorage` (kept for error messages). */
    readonly storageType: string,
    /** Number of elements. */
    readonly numel: number,
    /** The checkpoint file, for error messages. */
    readonly file: string,
    /**
     * Where element 0 is: a source and an absolute byte offset in it. A function because legacy files
     * store the bytes after the pickle that references them; it also validates that the bytes exist.
     */
    readonly locate: () => StorageLocation,
  ) {}
}

export interface StorageLocation {
  source: ByteSource;
  byteOffset: number;
}

/** A tensor as the pickle describes it: a strided view into a storage. Read with `materialize`. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  get dtype(): HostDType | undefined {
    return this.storage.dtype;
  }

  /** Reads exactly the bytes this view covers and returns a contiguous (row-major) HostTensor. */
  materialize(name: string): HostTensor {
    const { storage, storageOffset, shape, stride } = this;
    const file = storage.file;
    if (!storage.dtype) {
      throw new CheckpointError(
        `${name}: unsupported dtype (torch ${storage.storageType}); supported: ${Object.keys(TORCH_STORAGE_DTYPES).join(', ')}`,
        file,
      );
    }
    const n = numel(shape);
    if (n === 0)
      return {
        dtype: storage.dtype,
        shape: [...shape],
        data: decodeElements(storage.dtype, new Uint8Array(0)),
      };
    let extent = 1;
    for (let i = 0; i < shape.length; i++) extent += (shape[i] - 1) * stride[i];
    if (storageOffset + extent > storage.numel) {
      throw new CheckpointError(
        `${name}: view ${shapeToString(shape)} stride ${shapeToString(stride)} offset ${storageOffset} ` +
          `runs past its storage of ${storage.numel} elements`,
        file,
      );
    }
    const size = DTYPE_BYTES[storage.dtype];
    const bytes = new Uint8Array(extent * size);
    const { source, byteOffset } = storage.locate();
    source.readInto(byteOffset + storageOffset * size, bytes);
    const raw = decodeElements(storage.dtype, bytes);
    const data = isContiguous(shape, stride) ? raw : gather(raw, shape, stride);
    return { dtype: storage.dtype, shape: [...shape], data };
  }
}

/** True when `stride` is the row-major stride of `shape` (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a strided view (element 0 at index 0 of `src`) into a new row-major array. */
export function gather<T extends HostTensor['data']>(
  src: T,
  shape: readonly number[],
  stride: readonly number[],
): T {
  const n = numel(shape);
  const out = new (src.constructor as { new (n: number): T })(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let srcPos = 0;
  for (let i = 0; i < n; i++) {
    (out as unknown as number[])[i] = (src as unknown as number[])[srcPos];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      srcPos += stride[d];
      if (idx[d] < shape[d]) break;
      srcPos -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
