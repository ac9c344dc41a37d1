import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '@resdet/random';
import { ToyBatch, ToyNet, ToyStream } from '../../../test/training/toy-task';
import { DirectoryCheckpointStore } from './checkpoint-store';
import { TrainingDivergedError } from './errors';
import { warmupMultiStepLr } from './lr-schedule';
import { Sgd } from './sgd';
import { Trainer, TrainerEvent, TrainerOptions } from './trainer';
import { trainableModule } from './trainer-ports';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-trainer-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A toy run; `nanAt` makes the loss NaN at that 0-based iteration. */
function setup(opts: Partial<TrainerOptions<ToyBatch>> & { nanAt?: number } = {}) {
  const net = new ToyNet(new Rng(1), new Rng(2));
  let calls = 0;
  const model = trainableModule(net, (m, b: ToyBatch) => {
    const losses = m.computeLosses(b);
    if (calls++ === opts.nanAt) losses.loss_regression = tf.mul(losses.loss_regression, NaN) as tf.Scalar;
    return losses;
  });
  const data = new ToyStream(new Rng(3));
  const optimizer = new Sgd(net.trainableParameters(), { momentum: 0.9, weightDecay: 1e-4 });
  const trainer = new Trainer<ToyBatch>({
    model,
    data,
    optimizer,
    lr: warmupMultiStepLr({ baseLr: 0.05, warmupIters: 3, milestones: [6] }),
    maxIterations: 8,
    ...opts,
  });
  const dispose = () => {
    optimizer.dispose();
    net.dispose();
  };
  return { net, data, optimizer, trainer, dispose };
}

describe('Trainer', () => {
  it('keeps tf.memory().numTensors flat across iterations and frees everything it made', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const events: TrainerEvent[] = [];
    const t = setup({
      clipGradNorm: 1,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'iteration') counts.push(tf.memory().numTensors);
      },
    });
    const res = await t.trainer.run();
    expect(res).toMatchObject({ iteration: 8, reason: 'completed' });
    // Momentum buffers appear at the first step; from then on the count must not move.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[0]).toBe(counts[1]);
    expect(t.data.released).toBe(8);
    const it0 = events.find((e) => e.type === 'iteration')!;
    expect(it0).toMatchObject({ iteration: 1, images: 2, lr: 0.05 / 1000 });
    if (it0.type === 'iteration') {
      expect(Object.keys(it0.losses)).toEqual(['loss_regression', 'loss_activity', 'loss']);
      expect(it0.losses.loss).toBeCloseTo(it0.losses.loss_regression + it0.losses.loss_activity, 6);
      expect(it0.gradNorm).toBeGreaterThan(0);
      expect(it0.imagesPerSecond).toBeGreaterThan(0);
    }
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reduces the loss on the toy task', async () => {
    const t = setup({ maxIterations: 60, historyEvery: 20, lr: warmupMultiStepLr({ baseLr: 0.05 }) });
    const res = await t.trainer.run();
    expect(res.history.map((p) => p.iteration)).toEqual([20, 40, 60]);
    expect(res.history[2].losses.loss).toBeLessThan(res.history[0].losses.loss * 0.7);
    t.dispose();
  });

  it('weighs loss terms by lossWeights in the optimised sum; the reported terms stay unweighted', async () => {
    const oneStep = async (lossWeights?: Record<string, number>) => {
      const events: TrainerEvent[] = [];
      const t = setup({ maxIterations: 1, lossWeights, onEvent: (e) => events.push(e) });
      await t.trainer.run();
      const params = [...t.net.stateDict()].map(([k, v]) => [k, Array.from(v.data as Float32Array)]);
      const it = events.find((e) => e.type === 'iteration') as Extract<TrainerEvent, { type: 'iteration' }>;
      t.dispose();
      return { params, losses: it.losses };
    };
    const plain = await oneStep();
    const unit = await oneStep({ loss_regression: 1 });
    const noReg = await oneStep({ loss_regression: 0 });
    const double = await oneStep({ loss_activity: 2 });
    // Weight 1 is the term itself: bit-identical step.
    expect(unit).toEqual(plain);
    expect(noReg.losses.loss_regression).toBe(plain.losses.loss_regression);
    expect(noReg.losses.loss).toBeCloseTo(plain.losses.loss_activity, 6);
    expect(double.losses.loss).toBeCloseTo(plain.losses.loss_regression + 2 * plain.losses.loss_activity, 6);
    expect(noReg.params).not.toEqual(plain.params);
    await expect(oneStep({ loss_box_reg: 0 })).rejects.toThrow(
      /train\.lossWeights names loss_box_reg, but the model's loss terms are loss_regression, loss_activity/,
    );
  });

  it('stops on a NaN loss with TrainingDivergedError, before the step, leaving the last checkpoint untouched', async () => {
    const dir = tmpDir();
    const store = new DirectoryCheckpointStore({ dir, keepLast: 2 });
    const t = setup({ nanAt: 5, checkpoint: { store, every: 2 } });
    const snapshot = () =>
      Object.fromEntries(
        fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]),
      );
    let filesAt4: Record<string, string> | undefined;
    let paramsAt5: Float32Array | undefined;
    const tr = new Trainer<ToyBatch>({
      ...(t.trainer as unknown as { opts: TrainerOptions<ToyBatch> }).opts,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.iteration === 4) filesAt4 = snapshot();
        if (e.type === 'iteration' && e.iteration === 5)
          paramsAt5 = t.net.fc.weight.dataSync().slice() as Float32Array;
      },
    });
    const err = await tr.run().catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.iteration).toBe(5);
    expect(err.message).toMatch(
      /loss is not finite at iteration 5 \(loss_regression=NaN, loss_activity=[0-9.e-]+, loss=NaN\)/,
    );
    expect(err.message).toContain('iter-00000004.safetensors');
    expect(snapshot()).toEqual(filesAt4);
    expect(Array.from(t.net.fc.weight.dataSync())).toEqual(Array.from(paramsAt5!));
    expect((await store.loadLatest())!.ckpt.state.iteration).toBe(4);
    t.dispose();
  });

  it('on abort writes a checkpoint after the current step and returns', async () => {
    const dir = tmpDir();
    const ac = new AbortController();
    const events: string[] = [];
    const t = setup({
      signal: ac.signal,
      checkpoint: { store: new DirectoryCheckpointStore({ dir }), every: 100 },
      onEvent: (e) => {
        events.push(`${e.type}:${e.iteration}`);
        if (e.type === 'iteration' && e.iteration === 3) ac.abort();
      },
    });
    const res = await t.trainer.run();
    expect(res).toMatchObject({ iteration: 3, reason: 'aborted' });
    expect(events.slice(-2)).toEqual(['checkpoint:3', 'stopped:3']);
    expect(fs.existsSync(path.join(dir, 'iter-00000003.safetensors'))).toBe(true);
    t.dispose();
  });

  it('evaluates periodically and at the end, keeps the best by the metric and the last K checkpoints', async () => {
    const dir = tmpDir();
    const ap = [0.2, 0.5, 0.4, 0.45];
    let k = 0;
    const evals: { iteration: number; best: boolean }[] = [];
    const t = setup({
      maxIterations: 7,
      checkpoint: { store: new DirectoryCheckpointStore({ dir, keepLast: 2 }), every: 2 },
      evaluation: {
        every: 2,
        evaluate: async () => ({ AP: ap[k] / 2, AP50: ap[k++] }),
        best: { metric: 'AP50' },
      },
      onEvent: (e) => e.type === 'evaluation' && evals.push({ iteration: e.iteration, best: e.best }),
    });
    const res = await t.trainer.run();
    expect(evals).toEqual([
      { iteration: 2, best: true },
      { iteration: 4, best: true },
      { iteration: 6, best: false },
      { iteration: 7, best: false },
    ]);
    expect(res.best).toEqual({ metric: 'AP50', value: 0.5, iteration: 4 });
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual([
      'best.json',
      'best.safetensors',
      'checkpoints.json',
      'iter-00000006.json',
      'iter-00000006.optim.safetensors',
      'iter-00000006.safetensors',
      'iter-00000007.json',
      'iter-00000007.optim.safetensors',
      'iter-00000007.safetensors',
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8'))).toMatchObject({
      iteration: 4,
      metrics: { AP50: 0.5 },
    });
    t.dispose();
  });

  it('validates its settings', () => {
    expect(() => setup({ maxIterations: -1 })).toThrow(/maxIterations must be an integer ≥ 0, got -1/);
    expect(() => setup({ clipGradNorm: 0 })).toThrow(/clipGradNorm must be > 0/);
  });
});
