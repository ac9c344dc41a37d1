import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StateDict } from '@resdet/nn';
import { CheckpointError } from './checkpoint-error';
import {
  looksLikeSafetensors,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors';

/** Builds a safetensors file by hand: u64 LE header length, JSON header, data bytes. */
function handMade(header: object, data: number[]): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.from(data)]);
}

describe('safetensors', () => {
  it('reads a hand-made file: F32, F16, I64 and metadata', () => {
    const bytes = handMade(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [1, 2], data_offsets: [8, 12] },
        n: { dtype: 'I64', shape: [], data_offsets: [12, 20] },
      },
      [
        0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0x00, 0x3c, 0x00, 0xb8, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff,
      ],
    );
    const { tensors, metadata } = parseSafetensors(bytes, 'x.safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('a')).toEqual({ dtype: 'float32', shape: [2], data: Float32Array.from([1, -2]) });
    expect(tensors.get('h')).toEqual({ dtype: 'float16', shape: [1, 2], data: Float32Array.from([1, -0.5]) });
    expect(tensors.get('n')).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.from([-2n]) });
  });

  it('round-trips every supported dtype through write and read, keeping order and metadata', () => {
    const sd: StateDict = new Map([
      ['w', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
      ['h', { dtype: 'float16', shape: [3], data: Float32Array.from([0.5, 65504, -2e-8]) }],
      ['b', { dtype: 'bfloat16', shape: [2], data: Float32Array.from([1.5, -256]) }],
      ['i', { dtype: 'int64', shape: [2], data: BigInt64Array.from([2n ** 40n, -3n]) }],
      ['j', { dtype: 'int32', shape: [1], data: Int32Array.from([-7]) }],
      ['u', { dtype: 'uint8', shape: [2], data: Uint8Array.from([0, 255]) }],
      ['q', { dtype: 'bool', shape: [0], data: new Uint8Array(0) }],
    ]);
    const bytes = serializeSafetensors(sd, { step: '12' });
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect([...back.tensors.keys()]).toEqual(['w', 'h', 'b', 'i', 'j', 'u', 'q']);
    expect(back.metadata).toEqual({ step: '12' });
    expect(back.tensors.get('w')!.data).toEqual(sd.get('w')!.data);
    // -2e-8 is below half of the smallest subnormal (2^-24) → rounds to -0.
    expect(Array.from(back.tensors.get('h')!.data as Float32Array)).toEqual([0.5, 65504, -0]);
    expect(back.tensors.get('b')!.data).toEqual(Float32Array.from([1.5, -256]));
    expect(back.tensors.get('i')!.data).toEqual(BigInt64Array.from([2n ** 40n, -3n]));
    expect(back.tensors.get('j')).toEqual(sd.get('j'));
    expect(back.tensors.get('u')).toEqual(sd.get('u'));
    expect(back.tensors.get('q')).toEqual(sd.get('q'));
  });

  it('reads F64 narrowed to float32 (torch copies doubles into float32 parameters on load)', () => {
    const data = Buffer.from(Float64Array.from([0.1, -2.5]).buffer);
    const sd = parseSafetensors(
      handMade({ d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, [...data]),
    ).tensors;
    expect(sd.get('d')).toEqual({ dtype: 'float64', shape: [2], data: Float32Array.from([0.1, -2.5]) });
  });

  it('writes atomically to disk and reads back from the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
    const file = path.join(dir, 'sub', 'w.safetensors');
    const sd: StateDict = new Map([['x', { dtype: 'float32', shape: [1], data: Float32Array.from([3]) }]]);
    writeSafetensors(file, sd);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['w.safetensors']);
    expect(readSafetensors(file).tensors.get('x')!.data).toEqual(Float32Array.from([3]));
    const head = fs.readFileSync(file).subarray(0, 16);
    expect(looksLikeSafetensors(head, fs.statSync(file).size)).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });

  const bad: [string, Buffer, RegExp][] = [
    ['tiny file', Buffer.from([1, 2, 3]), /bad\.safetensors: not a safetensors file: only 3 bytes/],
    [
      'huge header length',
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x7b]),
      /header length .* out of range/,
    ],
    ['truncated header', handMade({ a: 1 }, []).subarray(0, 10), /truncated safetensors header/],
    [
      'bad json',
      Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x}')]),
      /not valid JSON/,
    ],
    [
      'unknown dtype',
      handMade({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0)),
      /tensor a: unsupported dtype C64/,
    ],
    [
      'size mismatch',
      handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Array(8).fill(0)),
      /F32 \[3\] needs 12 bytes but data_offsets span 8/,
    ],
    [
      'truncated data',
      handMade({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Array(8).fill(0)),
      /truncated file: tensor a ends at data byte 16/,
    ],
    [
      'bad offsets',
      handMade({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 2] } }, []),
      /invalid data_offsets/,
    ],
    ['bad shape', handMade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, []), /invalid shape/],
  ];
  it.each(bad)('rejects a malformed file (%s) with a CheckpointError naming it', (_label, bytes, msg) => {
    let err: unknown;
    try {
      parseSafetensors(bytes, 'bad.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/^checkpoint bad\.safetensors: /);
    expect((err as Error).message).toMatch(msg);
  });

  it('names a missing file', () => {
    expect(() => readSafetensors('/nonexistent/w.safetensors')).toThrow(
      /checkpoint \/nonexistent\/w\.safetensors: cannot open/,
    );
  });
});
