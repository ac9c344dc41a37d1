import { inflateSync } from 'fflate';
import { ByteSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';

/** One file inside a zip archive: where its (possibly compressed) bytes start and how long they are. */
export interface ZipEntry {
  name: string;
  /** 0 = stored (torch writes every entry this way), 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 0x100000000;

/**
 * Reads a zip archive's central directory (zip64 included) from the end of `src`, touching only the
 * directory bytes. Entry data is read later, one entry at a time, with `entryDataOffset`/`readEntry`.
 */
export function readZipDirectory(src: ByteSource): Map<string, ZipEntry> {
  const tailLen = Math.min(src.size, 22 + 0xffff + 20);
  const tail = src.read(src.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new CheckpointError('zip end-of-central-directory record not found (truncated file?)', src.name);
  let count = u16(tail, eocd + 10);
  let dirSize = u32(tail, eocd + 12);
  let dirOffset = u32(tail, eocd + 16);
  if (eocd >= 20 && u32(tail, eocd - 20) === ZIP64_LOCATOR_SIG) {
    const z64 = src.read(u64(tail, eocd - 20 + 8), 56);
    if (u32(z64, 0) !== ZIP64_EOCD_SIG)
      throw new CheckpointError('bad zip64 end-of-central-directory record', src.name);
    count = u64(z64, 32);
    dirSize = u64(z64, 40);
    dirOffset = u64(z64, 48);
  }
  if (dirOffset + dirSize > src.size) {
    throw new CheckpointError(
      `truncated zip: central directory ends at ${dirOffset + dirSize}, file has ${src.size} bytes`,
      src.name,
    );
  }
  const dir = src.read(dirOffset, dirSize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || u32(dir, p) !== CENTRAL_SIG)
      throw new CheckpointError(`corrupt zip central directory entry ${i}`, src.name);
    const method = u16(dir, p + 10);
    let compressedSize = u32(dir, p + 20);
    let size = u32(dir, p + 24);
    const nameLen = u16(dir, p + 28);
    const extraLen = u16(dir, p + 30);
    const commentLen = u16(dir, p + 32);
    let localHeaderOffset = u32(dir, p + 42);
    const name = Buffer.from(dir.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    // zip64 extended information: the fields saturated at 0xffffffff follow in order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = u16(dir, e);
      const len = u16(dir, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = u64(dir, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(dir, q);
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(dir, q);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Absolute offset of an entry's data (after its local header, whose extra field may pad for alignment). */
export function entryDataOffset(src: ByteSource, entry: ZipEntry): number {
  const h = src.read(entry.localHeaderOffset, 30);
  if (u32(h, 0) !== LOCAL_SIG)
    throw new CheckpointError(`corrupt zip local header for ${entry.name}`, src.name);
  const start = entry.localHeaderOffset + 30 + u16(h, 26) + u16(h, 28);
  if (start + entry.compressedSize > src.size) {
    throw new CheckpointError(`truncated zip: entry ${entry.name} ends past the end of the file`, src.name);
  }
  return start;
}

/** The uncompressed bytes of one (small) entry, e.g. `archive/data.pkl`. */
export function readEntry(src: ByteSource, entry: ZipEntry): Uint8Array {
  const raw = src.read(entryDataOffset(src, entry), entry.compressedSize);
  if (entry.method === 0) return raw;
  if (entry.method === 8) return inflateSync(raw, { out: new Uint8Array(entry.size) });
  throw new CheckpointError(
    `zip entry ${entry.name} uses unsupported compression method ${entry.method}`,
    src.name,
  );
}
