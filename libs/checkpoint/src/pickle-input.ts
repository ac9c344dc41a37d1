import { ByteSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';

/**
 * A forward-only cursor over a ByteSource for the unpickler: reads in chunks (64 KB by default) so a
 * pickle inside a large file is parsed without loading the rest of the file.
 */
export class PickleInput {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;

  constructor(
    private readonly src: ByteSource,
    /** Absolute offset of the next byte to read. */
    public pos = 0,
    private readonly chunkSize = 1 << 16,
  ) {}

  get name(): string {
    return this.src.name;
  }

  private ensure(n: number): number {
    const rel = this.pos - this.chunkStart;
    if (rel >= 0 && rel + n <= this.chunk.length) return rel;
    if (this.pos + n > this.src.size) {
      throw new CheckpointError(
        `truncated pickle: needs ${n} byte(s) at offset ${this.pos} but the file ends at ${this.src.size}`,
        this.src.name,
      );
    }
    const len = Math.min(Math.max(n, this.chunkSize), this.src.size - this.pos);
    this.chunk = this.src.read(this.pos, len);
    this.chunkStart = this.pos;
    return 0;
  }

  byte(): number {
    const rel = this.ensure(1);
    this.pos++;
    return this.chunk[rel];
  }

  /** The next `n` bytes (a view valid until the next read). */
  bytes(n: number): Uint8Array {
    const rel = this.ensure(n);
    this.pos += n;
    return this.chunk.subarray(rel, rel + n);
  }

  /** Bytes up to (not including) the next `\n`, which is consumed; for text opcodes like GLOBAL. */
  line(max = 4096): string {
    const out: number[] = [];
    for (;;) {
      const b = this.byte();
      if (b === 0x0a) return Buffer.from(out).toString('utf8');
      out.push(b);
      if (out.length > max)
        throw new CheckpointError(`pickle text field longer than ${max} bytes at ${this.pos}`, this.name);
    }
  }

  u16(): number {
    const b = this.bytes(2);
    return b[0] | (b[1] << 8);
  }

  u32(): number {
    const b = this.bytes(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
  }

  i32(): number {
    const b = this.bytes(4);
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  }

  /** Unsigned 64-bit length; rejects values beyond Number.MAX_SAFE_INTEGER. */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    const v = hi * 0x100000000 + lo;
    if (!Number.isSafeInteger(v))
      throw new CheckpointError(`pickle length ${v} is too large at ${this.pos}`, this.name);
    return v;
  }

  f64be(): number {
    const b = this.bytes(8);
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false);
  }
}
