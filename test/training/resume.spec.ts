/**
 * Resume exactness (libs/training + @resdet/nn layers + @resdet/checkpoint files): 2N iterations in one
 * go must equal N iterations, an interrupt checkpoint on disk, then a fresh "process" (all objects
 * rebuilt from seeds, state only from the checkpoint folder) resuming for N more — bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StateDict } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { DirectoryCheckpointStore, Sgd, Trainer, trainableModule, warmupMultiStepLr } from '@resdet/training';
import { ToyBatch, ToyNet, ToyStream } from './toy-task';

const N = 5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Builds a run from seeds only, as a new process would. */
function newProcess(dir: string, signal?: AbortSignal, onIteration?: (i: number) => void) {
  const samplerRng = new Rng(2);
  const net = new ToyNet(new Rng(1), samplerRng);
  const data = new ToyStream(new Rng(3));
  const optimizer = new Sgd(net.trainableParameters(), { momentum: 0.9, weightDecay: 1e-4 });
  const trainer = new Trainer<ToyBatch>({
    model: trainableModule(net, (m, b: ToyBatch) => m.computeLosses(b)),
    data,
    optimizer,
    // Warm-up ends and a decay happens after the split, so the schedule must continue exactly.
    lr: warmupMultiStepLr({ baseLr: 0.05, warmupIters: N + 2, milestones: [N + 3] }),
    maxIterations: 2 * N,
    clipGradNorm: 2,
    historyEvery: 3,
    checkpoint: { store: new DirectoryCheckpointStore({ dir }), every: 100 },
    rngs: { sampler: samplerRng },
    signal,
    onEvent: (e) => e.type === 'iteration' && onIteration?.(e.iteration),
  });
  return { net, data, optimizer, trainer, dispose: () => (optimizer.dispose(), net.dispose()) };
}

function expectSameStateDict(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) {
    expect({ k, shape: b.get(k)!.shape }).toEqual({ k, shape: t.shape });
    expect({ k, data: Array.from(b.get(k)!.data, Number) }).toEqual({ k, data: Array.from(t.data, Number) });
  }
}

describe('Trainer resume', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-resume-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it(`2N straight == N + interrupt checkpoint + fresh process resume + N, bit for bit (N=${N})`, async () => {
    const straight = newProcess(tmp());
    const a = await straight.trainer.run();
    expect(a.iteration).toBe(2 * N);

    const dir = tmp();
    const ac = new AbortController();
    const first = newProcess(dir, ac.signal, (i) => i === N && ac.abort());
    const r1 = await first.trainer.run();
    expect(r1).toMatchObject({ iteration: N, reason: 'aborted' });
    first.dispose();

    const second = newProcess(dir);
    expect(await second.trainer.resume()).toBe(true);
    expect(second.trainer.iteration).toBe(N);
    const b = await second.trainer.run();
    expect(b).toMatchObject({ iteration: 2 * N, reason: 'completed' });

    expectSameStateDict(straight.net.stateDict(), second.net.stateDict()); // parameters and BN buffers
    expectSameStateDict(straight.optimizer.stateDict(), second.optimizer.stateDict()); // momentum buffers
    expect(second.data.getState()).toEqual(straight.data.getState());
    expect(b.history).toEqual(a.history);
    expect(second.net.bn.numBatchesTracked).toBe(2 * N);
    straight.dispose();
    second.dispose();
  });

  it('resume() is a no-op on an empty folder', async () => {
    const p = newProcess(tmp());
    expect(await p.trainer.resume()).toBe(false);
    expect(p.trainer.iteration).toBe(0);
    p.dispose();
  });
});
