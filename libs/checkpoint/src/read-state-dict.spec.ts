import * as path from 'path';
import { BufferSource } from './byte-source';
import { readStateDict, readWeightsSource, sniffWeightsFormat } from './read-state-dict';
import { serializeSafetensors } from './safetensors';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'checkpoint');

describe('readStateDict', () => {
  it('sniffs formats by magic bytes, not extension', () => {
    const legacy = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    expect(sniffWeightsFormat(Uint8Array.from(legacy), 1000)).toBe('torch-legacy');
    expect(sniffWeightsFormat(Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), 1000)).toBe('torch-zip');
    expect(sniffWeightsFormat(Uint8Array.from([0x80, 0x02, 0x7d, 0x71]), 1000)).toBeUndefined(); // a plain pickle
    const st = serializeSafetensors(
      new Map([['a', { dtype: 'float32', shape: [1], data: Float32Array.from([1]) }]]),
    );
    expect(sniffWeightsFormat(st.subarray(0, 16), st.length)).toBe('safetensors');
    expect(readWeightsSource(new BufferSource(st, 'renamed.pth')).format).toBe('safetensors');
  });

  it('reads a torch zip fixture (values checked exactly in test/checkpoint)', () => {
    const sd = readStateDict(path.join(FIXTURES, 'tiny-zip.pth'));
    expect(sd.get('conv1.weight')!.shape).toEqual([4, 3, 3, 3]);
    expect(sd.get('bn1.num_batches_tracked')).toEqual({
      dtype: 'int64',
      shape: [],
      data: BigInt64Array.from([7n]),
    });
  });
});
