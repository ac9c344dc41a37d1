import { HostDType, StateDict, numel, shapeToString } from '@resdet/nn';
import { BufferSource, ByteSource, withFileSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { DTYPE_BYTES, decodeElements, encodeElements } from './dtypes';
import { writeFileAtomic } from './atomic-write';

/** safetensors dtype names ↔ host dtypes (the ones resdet reads and writes). */
const FROM_SAFETENSORS: Readonly<Record<string, HostDType>> = Object.freeze({
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  U8: 'uint8',
  BOOL: 'bool',
});
const TO_SAFETENSORS: Readonly<Record<HostDType, string>> = Object.freeze({
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
});

/** Headers larger than this are rejected as corrupt (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** A safetensors file's content: tensors in file order plus the free-form `__metadata__` strings. */
export interface SafetensorsContent {
  tensors: StateDict;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Parses and validates a safetensors header: 8-byte little-endian length, then that many bytes of
 * JSON. Every entry's dtype, shape and offsets are checked against the data section's size.
 */
function readHeader(src: ByteSource): {
  entries: [string, HeaderEntry][];
  metadata: Record<string, string>;
  dataStart: number;
} {
  if (src.size < 8) throw new CheckpointError(`not a safetensors file: only ${src.size} bytes`, src.name);
  const lenBytes = src.read(0, 8);
  const headerLen = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
    throw new CheckpointError(`not a safetensors file: header length ${headerLen} is out of range`, src.name);
  }
  if (8 + headerLen > src.size) {
    throw new CheckpointError(
      `truncated safetensors header: needs ${8 + headerLen} bytes, file has ${src.size}`,
      src.name,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(src.read(8, headerLen)).toString('utf8'));
  } catch (e) {
    throw new CheckpointError(`safetensors header is not valid JSON: ${(e as Error).message}`, src.name);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new CheckpointError('safetensors header is not a JSON object', src.name);
  }
  const dataStart = 8 + headerLen;
  const dataSize = src.size - dataStart;
  const metadata: Record<string, string> = {};
  const entries: [string, HeaderEntry][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new CheckpointError(`__metadata__.${k} must be a string`, src.name);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as Partial<HeaderEntry>;
    if (
      typeof e !== 'object' ||
      e === null ||
      typeof e.dtype !== 'string' ||
      !Array.isArray(e.shape) ||
      !Array.isArray(e.data_offsets)
    ) {
      throw new CheckpointError(`tensor ${name}: header entry needs dtype, shape and data_offsets`, src.name);
    }
    const dtype = FROM_SAFETENSORS[e.dtype];
    if (!dtype) {
      throw new CheckpointError(
        `tensor ${name}: unsupported dtype ${e.dtype} (supported: ${Object.keys(FROM_SAFETENSORS).join(', ')})`,
        src.name,
      );
    }
    if (!e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CheckpointError(`tensor ${name}: invalid shape ${JSON.stringify(e.shape)}`, src.name);
    }
    const [begin, end] = e.data_offsets;
    if (
      e.data_offsets.length !== 2 ||
      !Number.isSafeInteger(begin) ||
      !Number.isSafeInteger(end) ||
      begin < 0 ||
      end < begin
    ) {
      throw new CheckpointError(
        `tensor ${name}: invalid data_offsets ${JSON.stringify(e.data_offsets)}`,
        src.name,
      );
    }
    const want = numel(e.shape) * DTYPE_BYTES[dtype];
    if (end - begin !== want) {
      throw new CheckpointError(
        `tensor ${name}: ${e.dtype} ${shapeToString(e.shape)} needs ${want} bytes but data_offsets span ${end - begin}`,
        src.name,
      );
    }
    if (end > dataSize) {
      throw new CheckpointError(
        `truncated file: tensor ${name} ends at data byte ${end} but the data section has ${dataSize} bytes`,
        src.name,
      );
    }
    entries.push([name, e as HeaderEntry]);
  }
  return { entries, metadata, dataStart };
}

/** Reads every tensor of a safetensors source (only the header and each tensor's own bytes are read). */
export function readSafetensorsSource(src: ByteSource): SafetensorsContent {
  const { entries, metadata, dataStart } = readHeader(src);
  const tensors: StateDict = new Map();
  for (const [name, e] of entries) {
    const dtype = FROM_SAFETENSORS[e.dtype];
    const [begin, end] = e.data_offsets;
    // Read into a fresh aligned buffer so float32/int data are used in place, without a second copy.
    const bytes = new Uint8Array(end - begin);
    src.readInto(dataStart + begin, bytes);
    tensors.set(name, { dtype, shape: [...e.shape], data: decodeElements(dtype, bytes) });
  }
  return { tensors, metadata };
}

/** Parses safetensors bytes already in memory. `name` is used in error messages. */
export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsContent {
  return readSafetensorsSource(new BufferSource(bytes, name));
}

/**
 * Reads a `.safetensors` file into a StateDict (float16/bfloat16 widened to Float32Array, int64 as
 * BigInt64Array; dtype records what was stored). Throws CheckpointError naming the file on any
 * malformed header, unsupported dtype or truncation.
 */
export function readSafetensors(path: string): SafetensorsContent {
  return withFileSource(path, readSafetensorsSource);
}

/**
 * Serialises tensors (in map order, each in its own `dtype`) plus string metadata to safetensors bytes.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
 */
export function serializeSafetensors(
  tensors: StateDict,
  metadata: Record<string, string> = {},
  name?: string,
): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [key, t] of tensors) {
    if (t.data.length !== numel(t.shape)) {
      throw new CheckpointError(
        `tensor ${key}: ${t.data.length} values for shape ${shapeToString(t.shape)}`,
        name,
      );
    }
    const bytes = encodeElements(t);
    header[key] = {
      dtype: TO_SAFETENSORS[t.dtype],
      shape: t.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const b of blobs) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

/** Writes tensors + metadata to `path` atomically (temp file in the same folder, then rename). */
export function writeSafetensors(
  path: string,
  tensors: StateDict,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata, path));
}

/** True when `bytes` (a file's first bytes, at least 9) look like a safetensors header: length, then `{`. */
export function looksLikeSafetensors(bytes: Uint8Array, fileSize: number): boolean {
  if (bytes.length < 9) return false;
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return len >= 2 && len <= MAX_HEADER_BYTES && 8 + len <= fileSize && bytes[8] === 0x7b;
}
