import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StateDict } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { CheckpointError } from './checkpoint-error';
import {
  checkpointPaths,
  isResdetCheckpoint,
  loadCheckpoint,
  readCheckpointMeta,
  saveCheckpoint,
} from './resdet-checkpoint';
import { readSafetensors } from './safetensors';

describe('resdet checkpoints', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const model = (): StateDict =>
    new Map([
      ['fc.weight', { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
      ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.from([5n]) }],
    ]);

  it('names its files from a base, .safetensors or .json path', () => {
    const want = { weights: 'a/x.safetensors', sidecar: 'a/x.json', optimizer: 'a/x.optim.safetensors' };
    for (const p of ['a/x', 'a/x.safetensors', 'a/x.json', 'a/x.optim.safetensors'])
      expect(checkpointPaths(p)).toEqual(want);
  });

  it('round-trips model, optimizer (momentum buffers), RNG state and metadata', () => {
    const rng = new Rng(3);
    rng.uniform();
    const optimizer: StateDict = new Map([
      [
        'momentum_buffer.fc.weight',
        { dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.1, 0, 0, -0.1]) },
      ],
    ]);
    const base = path.join(dir, 'iter-00000010');
    saveCheckpoint(base, {
      model: model(),
      optimizer,
      meta: {
        arch: 'resnet18',
        classes: ['bg', 'cat'],
        iteration: 10,
        rng: { sampler: rng.getState() },
        training: { lr: 0.02 },
      },
    });
    expect(fs.readdirSync(dir).sort()).toEqual([
      'iter-00000010.json',
      'iter-00000010.optim.safetensors',
      'iter-00000010.safetensors',
    ]);
    expect(isResdetCheckpoint(base + '.safetensors')).toBe(true);
    const back = loadCheckpoint(base + '.json');
    expect(back.model).toEqual(model());
    expect(back.optimizer).toEqual(optimizer);
    expect(back.meta).toMatchObject({
      format: 'resdet-checkpoint',
      version: 1,
      arch: 'resnet18',
      iteration: 10,
      training: { lr: 0.02 },
    });
    const resumed = new Rng(0);
    resumed.setState(back.meta.rng!.sampler);
    expect(resumed.uniform()).toBe(rng.uniform());
    expect(readSafetensors(back.paths.weights).metadata['resdet.iteration']).toBe('10');
    expect(loadCheckpoint(base, { optimizer: false }).optimizer).toBeUndefined();
  });

  it('detects files from different saves', () => {
    const a = path.join(dir, 'a');
    saveCheckpoint(a, { model: model(), meta: { iteration: 1 } });
    const stale = fs.readFileSync(a + '.json');
    saveCheckpoint(a, { model: model(), meta: { iteration: 2 } });
    fs.writeFileSync(a + '.json', stale);
    expect(() => loadCheckpoint(a)).toThrow(/come from different saves \(interrupted write\?\)/);
  });

  it('rejects bad sidecars naming the file and field', () => {
    const a = path.join(dir, 'a');
    expect(() => saveCheckpoint(a, { model: model(), meta: { iteration: -1 } })).toThrow(
      new CheckpointError('iteration must be an integer ≥ 0, got -1', a + '.json'),
    );
    fs.writeFileSync(a + '.json', '{"classes": [1]}');
    expect(() => readCheckpointMeta(a)).toThrow(
      `checkpoint ${a}.json: classes must be a list of strings, got [1]`,
    );
    fs.writeFileSync(a + '.json', '{oops');
    expect(() => readCheckpointMeta(a)).toThrow(/a\.json: sidecar is not valid JSON/);
    expect(() => readCheckpointMeta(path.join(dir, 'none'))).toThrow(/none\.json: cannot read the sidecar/);
  });
});
