import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSafetensors } from '@resdet/checkpoint';
import type { StateDict } from '@resdet/nn';
import { DirectoryCheckpointStore, TrainingCheckpoint } from './checkpoint-store';
import { LossHistory } from './loss-history';

function ckpt(iteration: number): TrainingCheckpoint {
  const model: StateDict = new Map([
    ['fc.weight', { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 2, 3, iteration]) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.from([BigInt(iteration)]) }],
  ]);
  const optimizer: StateDict = new Map([
    [
      'momentum_buffer.fc.weight',
      { dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.5, 0, -0.5, iteration]) },
    ],
  ]);
  const history = new LossHistory(2);
  history.add(1, 0.1, { loss: 1 });
  return {
    model,
    optimizer,
    state: {
      iteration,
      rng: { sampler: 123 + iteration },
      data: { epoch: 1, pos: iteration },
      history: history.toJSON(),
      evaluations: [],
    },
  };
}

describe('DirectoryCheckpointStore', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-store-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips model (float32 + int64), optimizer and JSON state; the model file is plain weights + sidecar', async () => {
    const store = new DirectoryCheckpointStore({ dir, sidecar: { config: { arch: 'toy' } } });
    const where = await store.save(ckpt(7));
    expect(where).toBe(path.join(dir, 'iter-00000007.safetensors'));
    const { ckpt: back, location } = (await store.loadLatest())!;
    expect(location).toBe(where);
    expect(back.state).toEqual(ckpt(7).state);
    expect(back.model.get('bn.num_batches_tracked')).toEqual({
      dtype: 'int64',
      shape: [],
      data: BigInt64Array.from([7n]),
    });
    expect(Array.from(back.optimizer.get('momentum_buffer.fc.weight')!.data as Float32Array)).toEqual([
      0.5, 0, -0.5, 7,
    ]);
    expect([...readSafetensors(where).tensors.keys()]).toEqual(['fc.weight', 'bn.num_batches_tracked']);
    const sidecar = JSON.parse(fs.readFileSync(path.join(dir, 'iter-00000007.json'), 'utf8'));
    expect(sidecar).toMatchObject({ config: { arch: 'toy' }, iteration: 7, training: { iteration: 7 } });
  });

  it('keeps the last K, deletes older files, and the latest is the last saved', async () => {
    const store = new DirectoryCheckpointStore({ dir, keepLast: 2 });
    for (const i of [2, 4, 6]) await store.save(ckpt(i));
    expect(store.readIndex().kept).toEqual(['iter-00000004', 'iter-00000006']);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('iter-00000002'))).toEqual([]);
    expect((await store.loadLatest())!.ckpt.state.iteration).toBe(6);
  });

  it('an interrupted save (files written, index not yet) leaves the previous checkpoint as the latest', async () => {
    const store = new DirectoryCheckpointStore({ dir });
    await store.save(ckpt(2));
    const index = fs.readFileSync(path.join(dir, 'checkpoints.json'));
    await store.save(ckpt(4));
    fs.writeFileSync(path.join(dir, 'checkpoints.json'), index); // as if the process died before the index rename
    expect((await store.loadLatest())!.ckpt.state.iteration).toBe(2);
  });

  it('best has its own files and index entry; an empty folder has no latest', async () => {
    const store = new DirectoryCheckpointStore({ dir });
    expect(await store.loadLatest()).toBeUndefined();
    await store.saveBest(ckpt(3), { AP50: 0.9 });
    expect(store.readIndex().best).toEqual({ name: 'best', iteration: 3, metrics: { AP50: 0.9 } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8'))).toEqual({
      iteration: 3,
      metrics: { AP50: 0.9 },
    });
    expect(await store.loadLatest()).toBeUndefined();
  });

  it('names the file when a sidecar is unreadable', async () => {
    const store = new DirectoryCheckpointStore({ dir });
    await store.save(ckpt(1));
    fs.writeFileSync(path.join(dir, 'iter-00000001.json'), '{ not json');
    await expect(store.loadLatest()).rejects.toThrow(/iter-00000001.json: cannot read the sidecar/);
    expect(() => new DirectoryCheckpointStore({ dir, keepLast: 0 })).toThrow(
      /keepLast must be an integer ≥ 1, got 0/,
    );
  });
});
