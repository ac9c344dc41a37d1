import * as fs from 'fs';
import * as path from 'path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { initRuntime } from '@resdet/runtime';
import { readImage, writeShapesDataset, type ShapesOptions } from '@resdet/data';
import { abortOnSignals, runDetectionTraining, TrainingDivergedError } from '@resdet/training';
import {
  listImageFiles,
  openDetector,
  readCocoImageIds,
  ResultsWriter,
  runDetectJob,
} from '@resdet/inference';
import { createProgress } from '../common/progress';
import { positiveInt } from '../common/model-options';
import { packageRoot } from '../common/package-root';
import { cliLogger, trainingReporter } from '../common/training-log';

/** Repository `configs/shapes_demo.json`. */
const DEMO_CONFIG = path.join(packageRoot(), 'configs', 'shapes_demo.json');

interface DemoFlags {
  out: string;
  seed: number;
  iterations?: number;
  trainImages?: number;
  valImages?: number;
  config?: string;
  backend?: string;
  drawThreshold: number;
  workers?: number;
}

/** The `demo` section of the demo config: how much data to generate and what it looks like. */
interface DemoSection {
  trainImages?: number;
  valImages?: number;
  shapes?: Partial<ShapesOptions>;
}

/**
 * `demo [--out runs/demo] [--seed 0]`: the README's first command. Generates a shapes dataset, trains the small
 * `shapes_demo` detector on it, evaluates on the held-out images (prints pycocotools' 12 numbers), runs the
 * detection job over the held-out images saving drawn images, and prints where everything is and how to
 * serve the model. Deterministic for a seed (same data, same training, same numbers).
 */
@Command({
  name: 'demo',
  description: 'Generate shapes data, train a small detector, evaluate, detect, and show how to serve it',
})
export class DemoCommand extends CommandRunner {
  async run(_args: string[], f: DemoFlags): Promise<void> {
    const started = Date.now();
    const log = cliLogger('demo');
    await initRuntime({ backend: f.backend, env: process.env, log: (m) => log.info(m) });
    const configFile = f.config ?? DEMO_CONFIG;
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as {
      demo?: DemoSection;
      train?: { maxIterations?: number };
    };
    const demo = config.demo ?? {};
    const out = path.resolve(f.out);
    const dataDir = path.join(out, 'data');
    const trainImages = f.trainImages ?? demo.trainImages ?? 2000;
    const valImages = f.valImages ?? demo.valImages ?? 100;

    // 1. data
    const gen = createProgress('generate', trainImages + valImages);
    const t0 = Date.now();
    const summary = await writeShapesDataset({
      out: dataDir,
      format: 'coco',
      count: trainImages,
      valCount: valImages,
      seed: f.seed,
      shapes: demo.shapes,
      onProgress: (done) => gen.update(done),
    });
    gen.stop();
    log.info(
      {
        dir: dataDir,
        train: trainImages,
        val: valImages,
        classes: summary.classes,
        seconds: (Date.now() - t0) / 1000,
      },
      `generated ${trainImages} + ${valImages} shapes images in ${dataDir}`,
    );

    // 2. train (+ final evaluation on the held-out split)
    const runDir = path.join(out, 'train');
    fs.rmSync(path.join(runDir, 'checkpoints'), { recursive: true, force: true }); // a fresh run each time
    const iterations = f.iterations ?? config.train?.maxIterations ?? 1000;
    const reporter = trainingReporter(log, iterations, 50);
    const stop = abortOnSignals(['SIGINT', 'SIGTERM'], (s) => log.warn(`${s}: stopping after this step`));
    let result;
    try {
      result = await runDetectionTraining({
        config,
        configSource: configFile,
        dataset: { root: dataDir, format: 'coco' },
        outDir: runDir,
        train: { seed: f.seed, maxIterations: f.iterations },
        workers: f.workers ?? 'auto',
        signal: stop.signal,
        onEvent: reporter.onEvent,
        log: (m) => log.info(m),
      });
    } catch (e) {
      if (e instanceof TrainingDivergedError) throw new Error(`demo: training diverged: ${e.message}`);
      throw e;
    } finally {
      reporter.stop();
      stop.dispose();
    }
    if (result.reason !== 'completed' || !result.modelFile || !result.finalEval) {
      process.stdout.write(
        `demo stopped at iteration ${result.iteration}; checkpoint: ${result.lastCheckpoint}\n`,
      );
      process.exitCode = 1;
      return;
    }
    const trainSeconds = (Date.now() - t0) / 1000;

    // 3. detect on the held-out images with the saved model, as `detect` would
    const valDir = path.join(dataDir, 'val');
    const drawn = path.join(out, 'detections');
    const resultsFile = path.join(out, 'detections.json');
    const items = await listImageFiles([valDir]);
    // As `detect`: one model copy per core in worker threads (tfjs on CPU), `--workers 1` in this thread;
    // the results are the same whatever the count.
    const detector = await openDetector({
      weights: result.modelFile,
      backend: f.backend,
      env: process.env,
      workers: f.workers ?? 'auto',
      maxWorkers: items.length,
      log: (m) => log.info(m),
    });
    const writer = await ResultsWriter.open(resultsFile, 'json');
    const progress = createProgress('detect', items.length);
    let det;
    try {
      det = await runDetectJob(detector, items, {
        batchSize: 4,
        decode: (file) => readImage(file),
        writer,
        saveImagesDir: drawn,
        // Evaluation above used every detection (score ≥ 0.05); the drawings and results keep the confident ones.
        predict: { scoreThreshold: f.drawThreshold },
        imageIds: await readCocoImageIds(path.join(dataDir, 'annotations', 'instances_val.json')),
        onProgress: (p) => progress.update(p.done, { detections: p.detections }),
      });
    } finally {
      progress.stop();
      await writer.close();
      await detector.release(); // workers end before the summary
    }

    const ap = result.finalEval.stats;
    const total = (Date.now() - started) / 1000;
    const rel = (p: string) => path.relative(process.cwd(), p) || '.';
    process.stdout.write(
      [
        '',
        `COCO evaluation of the trained model on ${valImages} held-out images (iteration ${result.iteration}):`,
        ...result.finalEval.lines,
        '',
        `AP50 ${ap[1].toFixed(3)}  AP ${ap[0].toFixed(3)}  —  ${total.toFixed(0)} s in all (data + training + evaluation ${trainSeconds.toFixed(0)} s)`,
        '',
        `metrics:        ${rel(result.metricsFile!)}`,
        `loss curve:     ${rel(result.lossCurveFile ?? '')}`,
        `checkpoint:     ${rel(result.modelFile)} (+ .json sidecar; resumable ones in ${rel(path.join(runDir, 'checkpoints'))})`,
        `detections:     ${rel(resultsFile)} (${det.detections} boxes scoring ≥ ${f.drawThreshold} on ${det.processed} images)`,
        `drawn images:   ${rel(drawn)}/`,
        '',
        'serve the model:',
        `  npm run cli -- serve --weights ${rel(result.modelFile)} --port 3000`,
        `  curl -F image=@${rel(items[0]?.file ?? valDir)} http://localhost:3000/v1/detect`,
        '',
      ].join('\n'),
    );
  }

  @Option({ flags: '--out <dir>', description: 'output folder', defaultValue: 'runs/demo' })
  parseOut(v: string): string {
    return v;
  }

  @Option({ flags: '--seed <n>', description: 'seed of the data and the training', defaultValue: 0 })
  parseSeed(v: string): number {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--seed must be an integer ≥ 0, got "${v}"`);
    return n;
  }

  @Option({ flags: '--iterations <n>', description: "training iterations (default: the config's)" })
  parseIterations(v: string): number {
    return positiveInt('--iterations')(v);
  }

  @Option({ flags: '--train-images <n>', description: "generated training images (default: the config's)" })
  parseTrainImages(v: string): number {
    return positiveInt('--train-images')(v);
  }

  @Option({ flags: '--val-images <n>', description: "generated held-out images (default: the config's)" })
  parseValImages(v: string): number {
    return positiveInt('--val-images')(v);
  }

  @Option({ flags: '--config <file>', description: 'demo config (default configs/shapes_demo.json)' })
  parseConfig(v: string): string {
    return v;
  }

  @Option({
    flags: '--draw-threshold <score>',
    description: 'score threshold of the drawn held-out detections',
    defaultValue: 0.5,
  })
  parseDrawThreshold(v: string): number {
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new Error(`--draw-threshold must be in [0, 1], got "${v}"`);
    return n;
  }

  @Option({
    flags: '--workers <n>',
    description:
      'threads for training (the shards of a batch) and detection (model copies) (default: one per core for tfjs on CPU; 1: this thread); the numbers never depend on it',
  })
  parseWorkers(v: string): number {
    return positiveInt('--workers')(v);
  }

  @Option({ flags: '--backend <name>', description: 'force a tensor backend' })
  parseBackend(v: string): string {
    return v;
  }
}
