/**
 * bench/train-shapes: trains a small ResNet-FPN Faster R-CNN from scratch on generated shapes and prints the
 * time it took to reach COCO AP50 ≥ a target (default 0.9: the bar the shapes demo must clear) on held-out images, and the
 * training throughput (images/s). Not a test: it prints figures.
 *
 *   node -r ./tools/register.js bench/train-shapes.ts [--config configs/shapes_demo.json] [--iterations 1500]
 *     [--train-images 3000] [--val-images 200] [--eval-every 100] [--target 0.9] [--seed 0] [--backend wasm]
 *     [--batch-size 4] [--lr 0.02] [--out /tmp/resdet-train-shapes]
 *
 * Stops at the target or at --iterations. Step time excludes evaluation; "wall" includes it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initRuntime } from '@resdet/runtime';
import { writeShapesDataset, type ShapesOptions } from '@resdet/data';
import { runDetectionTraining, TrainingConfig } from '@resdet/training';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

async function main(): Promise<void> {
  // wasm unless --backend or RESDET_BACKEND says otherwise: bench rows compare like with like.
  const backend = await initRuntime({
    backend: flag('backend', ''),
    env: { RESDET_BACKEND: 'wasm', ...process.env },
  });
  const configFile = flag('config', 'configs/shapes_demo.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as {
    train?: Partial<TrainingConfig>;
    demo?: { shapes?: Partial<ShapesOptions> };
  };
  const iterations = Number(flag('iterations', String(config.train?.maxIterations ?? 1500)));
  const trainImages = Number(flag('train-images', '3000'));
  const valImages = Number(flag('val-images', '200'));
  const evalEvery = Number(flag('eval-every', '100'));
  const target = Number(flag('target', '0.9'));
  const seed = Number(flag('seed', '0'));
  const out = flag('out', path.join(os.tmpdir(), 'resdet-train-shapes'));
  const data = path.join(out, 'data');

  const t0 = performance.now();
  await writeShapesDataset({
    out: data,
    format: 'coco',
    count: trainImages,
    valCount: valImages,
    seed,
    shapes: config.demo?.shapes,
  });
  const genSeconds = (performance.now() - t0) / 1000;
  fs.rmSync(path.join(out, 'run'), { recursive: true, force: true });

  const stop = new AbortController();
  const started = performance.now();
  let stepSeconds = 0;
  let images = 0;
  let reached: { iteration: number; wall: number; train: number; ap50: number } | undefined;
  const curve: string[] = [];
  const result = await runDetectionTraining({
    config: { ...config, train: { ...config.train, evalEvery, checkpointEvery: 100000 } },
    configSource: configFile,
    dataset: { root: data, format: 'coco' },
    outDir: path.join(out, 'run'),
    train: {
      maxIterations: iterations,
      seed,
      batchSize: process.argv.includes('--batch-size') ? Number(flag('batch-size', '4')) : undefined,
      baseLr: process.argv.includes('--lr') ? Number(flag('lr', '0.02')) : undefined,
    },
    signal: stop.signal,
    onEvent: (e) => {
      if (e.type === 'iteration') {
        stepSeconds += e.seconds;
        images += e.images;
      } else if (e.type === 'evaluation') {
        const wall = (performance.now() - started) / 1000;
        curve.push(
          `  it ${String(e.iteration).padStart(5)}  train ${stepSeconds.toFixed(0).padStart(5)} s  wall ${wall.toFixed(0).padStart(5)} s  AP ${e.metrics.AP.toFixed(3)}  AP50 ${e.metrics.AP50.toFixed(3)}`,
        );
        process.stderr.write(curve[curve.length - 1] + '\n');
        if (!reached && e.metrics.AP50 >= target) {
          reached = { iteration: e.iteration, wall, train: stepSeconds, ap50: e.metrics.AP50 };
          stop.abort();
        }
      }
    },
  });
  const cfg = result.classes;
  process.stdout.write(
    [
      `train-shapes (${configFile}, backend ${backend}, ${os.cpus().length} CPUs, seed ${seed}):`,
      `  data: ${trainImages} train + ${valImages} held-out images generated in ${genSeconds.toFixed(1)} s (${cfg.length - 1} classes)`,
      `  throughput: ${(images / stepSeconds).toFixed(2)} images/s over ${result.iteration} iterations (${((1000 * stepSeconds) / Math.max(1, result.iteration)).toFixed(0)} ms/iteration)`,
      ...curve,
      reached
        ? `  time to AP50 ≥ ${target}: ${reached.train.toFixed(0)} s of training (${reached.wall.toFixed(0)} s wall incl. evaluations), iteration ${reached.iteration}, AP50 ${reached.ap50.toFixed(3)}`
        : `  AP50 ≥ ${target} not reached in ${result.iteration} iterations (${stepSeconds.toFixed(0)} s of training)`,
      '',
    ].join('\n'),
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
