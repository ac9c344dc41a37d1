/**
 * Data-parallel training (through the library, the tiny detector with trainable BatchNorm on 64×64 shapes, batch
 * 4 in shards of 2): the weights after three steps are bit-identical whether the shards run one after another on
 * this thread or on two threads; a worker that dies mid-run stops the run with its error, leaves the last
 * checkpoint as it was, and a resumed run ends bit-identical to the uninterrupted one.
 */
import { mkdtempSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { loadWeights } from '@resdet/checkpoint';
import { initRuntime } from '@resdet/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { runCli, tinyTrainingConfig } from '@resdet/testing';
import { runDetectionTraining, TrainingDivergedError, type DetectionTrainingOptions } from '@resdet/training';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-data-parallel-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** The build jest's global setup keeps fresh (workers run compiled code). */
const WORKER = path.resolve(__dirname, '../../dist/libs/training/src/replica-worker.js');

const config = tinyTrainingConfig({ maxIterations: 3, batchSize: 4, shardSize: 2, checkpointEvery: 1 });
const data = path.join(dir, 'data');

async function train(name: string, extra: Partial<DetectionTrainingOptions> = {}) {
  const log: string[] = [];
  const result = await runDetectionTraining({
    config,
    configSource: 'data-parallel test',
    dataset: { root: data, format: 'coco' },
    outDir: path.join(dir, name),
    workerScript: WORKER,
    log: (m) => log.push(m),
    ...extra,
  });
  return { result, log };
}

/** Every tensor of a saved model, by name. */
function weights(file: string): Map<string, number[]> {
  const w = loadWeights(file);
  return new Map([...w.stateDict].map(([k, t]) => [k, Array.from(t.data as ArrayLike<number>, Number)]));
}

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
  await writeShapesDataset({
    out: data,
    format: 'coco',
    count: 12,
    valCount: 2,
    seed: 5,
    shapes: { width: 64, height: 64 },
  });
});

describe('data-parallel training (e2e, library)', () => {
  let oneThread: Map<string, number[]>;

  it('gives bit-identical weights with 1 and 2 workers', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const a = await train('w1', { workers: 1 });
    const b = await train('w2', { workers: 2 });
    expect(a.log.join('\n')).toMatch(/2 shards of 2.*1 thread \(the shards run one after another\)/);
    expect(b.log.join('\n')).toMatch(/2 shards of 2.*2 threads/);
    oneThread = weights(a.result.modelFile!);
    const twoThreads = weights(b.result.modelFile!);
    expect([...twoThreads.keys()]).toEqual([...oneThread.keys()]);
    const differing = [...oneThread].filter(([k, v]) => twoThreads.get(k)!.some((x, i) => x !== v[i]));
    expect(differing.map(([k]) => k)).toEqual([]);
    // The run trained: weights and BatchNorm running statistics moved from a fresh model's.
    const init = await train('w0', { workers: 1, train: { maxIterations: 0 } });
    const start = weights(init.result.modelFile!);
    const moved = (k: string) => start.get(k)!.some((x, i) => x !== oneThread.get(k)![i]);
    expect([...oneThread.keys()].filter(moved).length).toBeGreaterThan(oneThread.size / 2);
    expect([...oneThread.keys()].filter((k) => k.endsWith('running_mean')).every(moved)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  }, 120_000);

  it('stops with the error of a worker that dies, keeps the last checkpoint, and resumes to the same weights', async () => {
    // The real worker, which exits during its second shard request (step 2).
    const crashing = path.join(dir, 'crashing-worker.js');
    writeFileSync(
      crashing,
      `const { parentPort } = require('node:worker_threads');
       let n = 0;
       parentPort.on('message', () => { if (++n === 2) process.exit(7); });
       require(${JSON.stringify(WORKER)});\n`,
    );
    await expect(train('crash', { workers: 2, workerScript: crashing })).rejects.toThrow(
      /training worker 1 stopped: exit code 7/,
    );
    const ckpts = await fs.readdir(path.join(dir, 'crash', 'checkpoints'));
    expect(ckpts.filter((f) => f.endsWith('.safetensors'))).toContain('iter-00000001.safetensors');
    const resumed = await train('crash', { workers: 2, resume: true });
    expect(resumed.result.iteration).toBe(3);
    const w = weights(resumed.result.modelFile!);
    const differing = [...oneThread].filter(([k, v]) => w.get(k)!.some((x, i) => x !== v[i]));
    expect(differing.map(([k]) => k)).toEqual([]);
  }, 120_000);

  it('stops at an abort after the current step with a checkpoint, and a diverging run with TrainingDivergedError', async () => {
    const stop = new AbortController();
    const aborted = await train('abort', {
      workers: 2,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'iteration' && e.iteration === 1) stop.abort();
      },
    });
    expect(aborted.result).toMatchObject({ reason: 'aborted', iteration: 1 });
    expect(aborted.result.lastCheckpoint).toMatch(/iter-00000001/);
    await expect(
      train('diverge', { workers: 2, train: { baseLr: 1e12, warmupIters: 0 } }),
    ).rejects.toBeInstanceOf(TrainingDivergedError);
  }, 120_000);

  it('evaluates on detector worker threads when the val split is large enough, with the same numbers (CLI)', async () => {
    const evalData = path.join(dir, 'eval-data');
    await writeShapesDataset({
      out: evalData,
      format: 'coco',
      count: 8,
      valCount: 40,
      seed: 6,
      shapes: { width: 64, height: 64 },
    });
    const cfg = path.join(dir, 'eval-config.json');
    writeFileSync(cfg, JSON.stringify(tinyTrainingConfig({ maxIterations: 2, batchSize: 2 })));
    const run = (workers: number) => {
      const out = path.join(dir, `eval-w${workers}`);
      const r = runCli([
        'train',
        '--config',
        cfg,
        '--dataset',
        evalData,
        '--out',
        out,
        '--workers',
        String(workers),
      ]);
      expect(r.status).toBe(0);
      return { log: r.stdout + r.stderr, metrics: readFileSync(path.join(out, 'metrics.json'), 'utf8'), out };
    };
    const inThread = run(1);
    const pooled = run(2);
    expect(pooled.log).toMatch(/eval: resdet: 2 detector workers/);
    expect(inThread.log).not.toMatch(/detector workers/);
    expect(JSON.parse(pooled.metrics)).toEqual(JSON.parse(inThread.metrics));
    expect(await fs.readdir(path.join(pooled.out, 'checkpoints'))).not.toContain(
      '.evaluation-model.safetensors',
    );
  }, 120_000);
});
