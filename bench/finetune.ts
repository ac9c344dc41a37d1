/**
 * Fine-tuning against training without the detector: a shapes model trained on three classes (circle, square,
 * triangle: the demo recipe without crosses) is taught all four shapes classes (cross is new) for N iterations
 * with `train --from`, and the same config is trained for the same N iterations (a) from the source's backbone alone
 * (body weights, fresh FPN, RPN and heads) and (b) from scratch. Prints held-out AP50 per class, AP50, AP and wall
 * time of each run.
 *
 *   npm run bench -- bench/finetune.ts [--iterations 150] [--seed 0] [--source MODEL] [--out runs/bench-finetune]
 *
 * Without --source, the first run trains the three-class source with the demo recipe into OUT/source (about as long
 * as the demo) and later runs reuse it. (It is not a committed fixture: the fixtures stay under 15 MB.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWeights, writeSafetensors } from '@resdet/checkpoint';
import { writeShapesDataset, type ShapeClass } from '@resdet/data';
import { initRuntime } from '@resdet/runtime';
import { runDetectionTraining, type DetectionTrainingResult } from '@resdet/training';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

const ROOT = path.resolve(__dirname, '..');
const iterations = Number(arg('iterations', '150'));
const seed = Number(arg('seed', '0'));
const out = path.resolve(arg('out', 'runs/bench-finetune'));
const SOURCE_CLASSES: ShapeClass[] = ['circle', 'square', 'triangle'];

async function main(): Promise<void> {
  await initRuntime({});
  const demo = JSON.parse(fs.readFileSync(path.join(ROOT, 'configs/shapes_demo.json'), 'utf8'));
  // Fine-tuning recipe: the demo's model, a short schedule at a lower rate with warm-up.
  const config = {
    ...demo,
    train: {
      ...demo.train,
      maxIterations: iterations,
      baseLr: 0.01,
      warmupIters: 20,
      milestones: [],
      evalEvery: 0,
    },
  };
  const data = path.join(out, 'data');
  if (!fs.existsSync(path.join(data, 'annotations'))) {
    await writeShapesDataset({
      out: data,
      format: 'coco',
      count: 800,
      valCount: 100,
      seed: 1000 + seed,
      shapes: demo.demo.shapes,
    });
  }
  const source = path.resolve(arg('source', '') || (await trainSource(demo)));
  const backboneOnly = path.join(out, 'source-backbone.safetensors');
  const src = loadWeights(source);
  writeSafetensors(backboneOnly, new Map([...src.stateDict].filter(([k]) => k.startsWith('backbone.body.'))));

  const runs: { name: string; opts: { from?: string; weights?: string } }[] = [
    { name: 'fine-tune (--from)', opts: { from: source } },
    { name: 'backbone only', opts: { weights: backboneOnly } },
    { name: 'from scratch', opts: {} },
  ];
  const rows: string[] = [];
  let classes: string[] = [];
  for (const [i, r] of runs.entries()) {
    const t0 = Date.now();
    const result: DetectionTrainingResult = await runDetectionTraining({
      config,
      configSource: 'bench/finetune.ts',
      dataset: { root: data, format: 'coco' },
      outDir: path.join(out, `run-${i}`),
      train: { seed },
      log: (m) => process.stderr.write(`[${r.name}] ${m}\n`),
      ...r.opts,
    });
    const seconds = (Date.now() - t0) / 1000;
    const metrics = JSON.parse(fs.readFileSync(result.metricsFile!, 'utf8'));
    classes = result.classes.slice(1);
    const perClass = classes.map((c) => {
      const entry = Object.values(
        metrics.per_category as Record<string, { name: string; AP50: number }>,
      ).find((v) => v.name === c);
      return entry ? entry.AP50.toFixed(3) : '  -  ';
    });
    rows.push(
      `${r.name.padEnd(20)} ${perClass.map((v) => v.padStart(8)).join(' ')}  ${result.finalEval!.stats[1].toFixed(3)}  ${result.finalEval!.stats[0].toFixed(3)}  ${seconds.toFixed(0).padStart(6)}`,
    );
  }
  console.log(
    `${iterations} iterations, seed ${seed}, held-out AP50 per class (100 images), source ${path.relative(ROOT, source)}`,
  );
  console.log(`${'run'.padEnd(20)} ${classes.map((c) => c.padStart(8)).join(' ')}  AP50   AP     wall s`);
  for (const r of rows) console.log(r);
}

/** The demo recipe on three classes, trained once into OUT/source. */
async function trainSource(demo: {
  model: Record<string, unknown>;
  demo: { trainImages: number; valImages: number; shapes: Record<string, unknown> };
}): Promise<string> {
  const dir = path.join(out, 'source');
  const model = path.join(dir, 'train', 'model.safetensors');
  if (fs.existsSync(model)) return model;
  process.stderr.write(`training the three-class source in ${dir} (the demo recipe; minutes)\n`);
  const shapes = { ...demo.demo.shapes, classes: SOURCE_CLASSES };
  await writeShapesDataset({
    out: path.join(dir, 'data'),
    format: 'coco',
    count: demo.demo.trainImages,
    valCount: demo.demo.valImages,
    seed,
    shapes,
  });
  await runDetectionTraining({
    config: {
      ...demo,
      model: { ...demo.model, numClasses: SOURCE_CLASSES.length + 1 },
      classes: ['__background__', ...SOURCE_CLASSES],
    },
    configSource: 'bench/finetune.ts (three-class source)',
    dataset: { root: path.join(dir, 'data'), format: 'coco' },
    outDir: path.join(dir, 'train'),
    train: { seed },
    log: (m) => process.stderr.write(`[source] ${m}\n`),
  });
  return model;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
