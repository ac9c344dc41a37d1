import { BufferSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { StorageRef, TensorRef, gather, isContiguous } from './torch-tensor-ref';

/** A float32 storage holding 0..n-1 at byte offset 4 of a buffer (so offsets are exercised). */
function storage(n: number, storageType = 'FloatStorage', dtype: 'float32' | null = 'float32'): StorageRef {
  const bytes = new Uint8Array(4 + 4 * n);
  new Float32Array(bytes.buffer, 4, n).set(Float32Array.from({ length: n }, (_, i) => i));
  const src = new BufferSource(bytes, 'w.pth');
  return new StorageRef('0', dtype ?? undefined, storageType, n, 'w.pth', () => ({
    source: src,
    byteOffset: 4,
  }));
}

describe('strided views', () => {
  it('isContiguous ignores the stride of size-1 dims', () => {
    expect(isContiguous([2, 3], [3, 1])).toBe(true);
    expect(isContiguous([2, 1, 3], [3, 99, 1])).toBe(true);
    expect(isContiguous([3, 2], [1, 3])).toBe(false);
    expect(isContiguous([], [])).toBe(true);
  });

  it('gathers a transpose, an offset slice and a stride-0 expand (hand-worked)', () => {
    // base = [[0,1,2],[3,4,5]]; base.t() = [[0,3],[1,4],[2,5]]
    expect(Array.from(gather(Float32Array.from([0, 1, 2, 3, 4, 5]), [3, 2], [1, 3]))).toEqual([
      0, 3, 1, 4, 2, 5,
    ]);
    expect(
      Array.from(new TensorRef(storage(12), 5, [2, 2], [4, 1]).materialize('s').data as Float32Array),
    ).toEqual([5, 6, 9, 10]);
    expect(
      Array.from(new TensorRef(storage(12), 2, [2, 3], [0, 1]).materialize('e').data as Float32Array),
    ).toEqual([2, 3, 4, 2, 3, 4]);
    expect(new TensorRef(storage(12), 7, [], []).materialize('scalar')).toEqual({
      dtype: 'float32',
      shape: [],
      data: Float32Array.from([7]),
    });
  });

  it('rejects a view past its storage and unsupported dtypes, naming the tensor and file', () => {
    expect(() => new TensorRef(storage(6), 4, [2, 2], [2, 1]).materialize('w')).toThrow(
      new CheckpointError(
        'w: view [2, 2] stride [2, 1] offset 4 runs past its storage of 6 elements',
        'w.pth',
      ),
    );
    expect(() => new TensorRef(storage(6, 'ShortStorage', null), 0, [6], [1]).materialize('d')).toThrow(
      /w\.pth: d: unsupported dtype \(torch ShortStorage\); supported: FloatStorage, DoubleStorage/,
    );
  });
});
