import { BufferSource } from './byte-source';
import { PickleTuple } from './pickle';
import { TorchTypeMarker, makeStorageRef, parseStoragePid, torchPickleGlobals } from './torch-pickle';
import { TensorRef } from './torch-tensor-ref';

describe('torch pickle globals and storage ids', () => {
  const g = torchPickleGlobals('w.pth');

  it('parses zip and legacy persistent ids, including legacy views', () => {
    const float = g.get('torch.FloatStorage') as TorchTypeMarker;
    expect(parseStoragePid(new PickleTuple(['storage', float, '3', 'cpu', 10]), 'w.pth')).toEqual({
      key: '3',
      storageType: 'FloatStorage',
      numel: 10,
    });
    const view = parseStoragePid(
      new PickleTuple(['storage', float, '9', 'cpu', 10, new PickleTuple(['11', 4, 3])]),
      'w.pth',
    );
    expect(view.view).toEqual({ key: '11', offset: 4, numel: 3 });
    const bytes = new Uint8Array(40);
    new Float32Array(bytes.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const src = new BufferSource(bytes, 'w.pth');
    const ref = makeStorageRef(view, 'w.pth', () => ({ source: src, byteOffset: 0 }));
    expect(ref.numel).toBe(3);
    expect(Array.from(new TensorRef(ref, 1, [2], [1]).materialize('v').data as Float32Array)).toEqual([5, 6]);
  });

  it('rebuilds tensors and parameters lazily, without reading bytes', () => {
    const float = g.get('torch.HalfStorage') as TorchTypeMarker;
    const ref = makeStorageRef(
      parseStoragePid(new PickleTuple(['storage', float, '0', 'cuda:0', 6]), 'w.pth'),
      'w.pth',
      () => {
        throw new Error('must not be read yet');
      },
    );
    const t = g
      .get('torch._utils._rebuild_tensor_v2')!
      .call([ref, 1, new PickleTuple([2, 2]), new PickleTuple([1, 2]), false, null]);
    expect(t).toBeInstanceOf(TensorRef);
    expect((t as TensorRef).dtype).toBe('float16');
    expect(g.get('torch._utils._rebuild_parameter')!.call([t, true, null])).toBe(t);
    expect(() =>
      g.get('torch._utils._rebuild_tensor_v2')!.call([ref, 0, new PickleTuple([2]), new PickleTuple([1, 1])]),
    ).toThrow(/size has 1 dims but stride has 2/);
  });

  it('refuses non-storage persistent ids and constructing torch types', () => {
    expect(() => parseStoragePid(new PickleTuple(['module', 'x']), 'w.pth')).toThrow(
      /persistent id 'module' is not a tensor storage/,
    );
    expect(() => g.get('torch.device')!.call([])).toThrow(/w\.pth: pickle tries to construct torch\.device/);
  });
});
