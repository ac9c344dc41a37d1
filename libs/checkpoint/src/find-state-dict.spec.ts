import { BufferSource } from './byte-source';
import { findStateDict, materializeStateDict } from './find-state-dict';
import { OpaqueGlobal, OpaqueObject, PickleDict } from './pickle';
import { StorageRef, TensorRef } from './torch-tensor-ref';

const src = new BufferSource(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), 'w.pth');
const t = (off: number) =>
  new TensorRef(
    new StorageRef('0', 'float32', 'FloatStorage', 4, 'w.pth', () => ({ source: src, byteOffset: 0 })),
    off,
    [1],
    [1],
  );
const dict = (entries: [unknown, unknown][]) => new PickleDict(entries);

describe('findStateDict', () => {
  it('takes a top-level tensor dict', () => {
    const sd = dict([['a', t(0)]]);
    expect(findStateDict(sd, 'w.pth')).toEqual({ path: '', tensors: sd });
  });

  it('prefers state_dict / model keys, nested', () => {
    const inner = dict([['w', t(1)]]);
    const root = dict([
      ['epoch', 3],
      ['optimizer', dict([['state', dict([])]])],
      ['model', dict([['state_dict', inner]])],
    ]);
    const found = findStateDict(root, 'w.pth');
    expect(found.path).toBe('model.state_dict');
    expect(Array.from(materializeStateDict(found.tensors).get('w')!.data as Float32Array)).toEqual([2]);
  });

  it('falls back to the only tensor dict, and refuses ambiguity or nothing', () => {
    expect(findStateDict(dict([['ema_weights', dict([['x', t(2)]])]]), 'w.pth').path).toBe('ema_weights');
    const two = dict([
      ['a', dict([['x', t(0)]])],
      ['b', dict([['x', t(1)]])],
    ]);
    expect(() => findStateDict(two, 'w.pth')).toThrow(/w\.pth: holds several tensor dicts \(a, b\)/);
    expect(() => findStateDict(new OpaqueObject(new OpaqueGlobal('mymod', 'Net'), []), 'w.pth')).toThrow(
      /no state dict found: the file holds a mymod\.Net object/,
    );
    expect(() => findStateDict(dict([['lr', 0.1]]), 'w.pth')).toThrow(/the file holds a dict with keys lr/);
  });
});
