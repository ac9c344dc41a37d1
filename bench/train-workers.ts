/**
 * bench/train-workers: data-parallel training speed. Trains the same run (config, seed, data) once per worker
 * count in one process and prints seconds per iteration (median after warm-up; evaluation and start-up left
 * out), images/s, the speed-up over the first count, and whether the saved weights are bit-identical to the
 * first run's (they must be: the shards' math never depends on the worker count). Not a test: it prints figures.
 *
 *   npm run build && node -r ./tools/register.js bench/train-workers.ts [--config configs/shapes_demo.json]
 *     [--workers 1,2] [--shard-size N] [--iterations 40] [--warmup 5] [--train-images 400] [--seed 0]
 *
 * `--shard-size` defaults to the config's `train.shardSize` (2 where it has none).
 *
 * Workers run the built entry (dist/), so build first. Run it on an otherwise idle machine: every worker
 * wants a core of its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initRuntime } from '@resdet/runtime';
import { loadWeights } from '@resdet/checkpoint';
import { writeShapesDataset, type ShapesOptions } from '@resdet/data';
import { runDetectionTraining, type TrainingConfig } from '@resdet/training';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await initRuntime({ backend: flag('backend', ''), env: { RESDET_BACKEND: 'wasm', ...process.env } });
  const configFile = flag('config', 'configs/shapes_demo.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as {
    train?: Partial<TrainingConfig>;
    demo?: { shapes?: Partial<ShapesOptions> };
  };
  const workerCounts = flag('workers', '1,2').split(',').map(Number);
  const shardSize = Number(flag('shard-size', String(config.train?.shardSize ?? 2)));
  const iterations = Number(flag('iterations', '40'));
  const warmup = Number(flag('warmup', '5'));
  const seed = Number(flag('seed', '0'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-train-workers-'));
  const workerScript = path.resolve('dist/libs/training/src/replica-worker.js');
  if (!fs.existsSync(workerScript)) throw new Error(`${workerScript} is missing: npm run build first`);
  const data = path.join(out, 'data');
  await writeShapesDataset({
    out: data,
    format: 'coco',
    count: Number(flag('train-images', '400')),
    valCount: 4,
    seed,
    shapes: config.demo?.shapes,
  });
  const run = { ...config, train: { ...config.train, shardSize, checkpointEvery: 1_000_000 } };
  console.log(
    `${configFile}: batch ${run.train.batchSize}, shards of ${shardSize}, ${iterations} iterations (first ${warmup} not timed), ` +
      `${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(2)}`,
  );
  let reference: { perIter: number; weights: Map<string, number[]> } | undefined;
  for (const workers of workerCounts) {
    const seconds: number[] = [];
    const r = await runDetectionTraining({
      config: run,
      configSource: configFile,
      dataset: { root: data, format: 'coco' },
      outDir: path.join(out, `w${workers}`),
      train: { maxIterations: iterations, seed },
      workers,
      workerScript,
      onEvent: (e) => {
        if (e.type === 'iteration' && e.iteration > warmup) seconds.push(e.seconds);
      },
    });
    const perIter = median(seconds);
    const weights = new Map(
      [...loadWeights(r.modelFile!).stateDict].map(([k, t]) => [
        k,
        Array.from(t.data as ArrayLike<number>, Number),
      ]),
    );
    let note = '';
    if (!reference) reference = { perIter, weights };
    else {
      const same = [...reference.weights].every(([k, v]) => {
        const w = weights.get(k)!;
        return v.length === w.length && v.every((x, i) => x === w[i]);
      });
      note = `  ×${(reference.perIter / perIter).toFixed(2)} vs ${workerCounts[0]}  weights ${same ? 'bit-identical' : 'DIFFER'}`;
    }
    const batch = run.train.batchSize ?? 2;
    console.log(
      `workers ${workers}: ${perIter.toFixed(3)} s/iter  ${(batch / perIter).toFixed(2)} img/s  load ${os.loadavg()[0].toFixed(2)}${note}`,
    );
  }
  fs.rmSync(out, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
