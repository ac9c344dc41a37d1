import * as fs from 'fs';
import { CheckpointError } from './checkpoint-error';

/**
 * Random access to the bytes of a checkpoint, so readers fetch only the ranges they need (a header,
 * one storage) instead of copying a 100–500 MB file. `name` is what error messages call the file.
 */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Bytes [offset, offset + length); a view (no copy) where the source allows it. */
  read(offset: number, length: number): Uint8Array;
  /** Copies bytes [offset, offset + dst.length) into `dst` (e.g. the buffer of a new Float32Array). */
  readInto(offset: number, dst: Uint8Array): void;
  close(): void;
}

function checkRange(src: ByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new CheckpointError(`invalid byte range offset ${offset} length ${length}`, src.name);
  }
  if (offset + length > src.size) {
    throw new CheckpointError(
      `truncated file: needs bytes up to ${offset + length} but the file has ${src.size}`,
      src.name,
    );
  }
}

/** A ByteSource over bytes already in memory (views, never copies, on `read`). */
export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = '<buffer>',
  ) {
    this.size = bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }

  readInto(offset: number, dst: Uint8Array): void {
    checkRange(this, offset, dst.length);
    dst.set(this.bytes.subarray(offset, offset + dst.length));
  }

  close(): void {}
}

/** A ByteSource over an open file descriptor; reads with positioned `readSync`, never the whole file. */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | undefined;

  constructor(readonly name: string) {
    try {
      this.fd = fs.openSync(name, 'r');
      this.size = fs.fstatSync(this.fd).size;
    } catch (e) {
      throw new CheckpointError(`cannot open: ${(e as Error).message}`, name);
    }
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(offset, out);
    return out;
  }

  readInto(offset: number, dst: Uint8Array): void {
    checkRange(this, offset, dst.length);
    if (this.fd === undefined) throw new CheckpointError('read after close', this.name);
    let done = 0;
    while (done < dst.length) {
      const n = fs.readSync(this.fd, dst, done, Math.min(dst.length - done, 1 << 30), offset + done);
      if (n <= 0) throw new CheckpointError(`unexpected end of file at byte ${offset + done}`, this.name);
      done += n;
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Opens `path` as a FileSource, runs `fn`, and always closes the file. */
export function withFileSource<T>(path: string, fn: (src: ByteSource) => T): T {
  const src = new FileSource(path);
  try {
    return fn(src);
  } finally {
    src.close();
  }
}
