import * as fs from 'fs';
import * as path from 'path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { initRuntime } from '@resdet/runtime';
import {
  abortOnSignals,
  runDetectionTraining,
  TrainingDivergedError,
  type DetectionTrainingResult,
} from '@resdet/training';
import { cliLogger, trainingReporter } from '../common/training-log';
import { OFFLINE_OPTION, positiveInt } from '../common/model-options';
import { resolveWeightsFlag } from '../common/weights-flag';

interface TrainFlags {
  config?: string;
  dataset?: string;
  format: 'coco' | 'voc';
  weights?: string;
  from?: string;
  fromClasses?: string;
  out?: string;
  resume?: boolean;
  iterations?: number;
  batchSize?: number;
  seed?: number;
  backend?: string;
  lr?: number;
  offline?: boolean;
  workers?: number;
}

/** Prints where the run's files are and the final COCO numbers. */
function printTrainingSummary(r: DetectionTrainingResult, out: NodeJS.WritableStream = process.stdout): void {
  const lines: string[] = [];
  if (r.finalEval) lines.push(...r.finalEval.lines, '');
  if (r.metricsFile) lines.push(`metrics:     ${r.metricsFile}`);
  if (r.modelFile) lines.push(`model:       ${r.modelFile}`);
  if (r.lossCurveFile) lines.push(`loss curve:  ${r.lossCurveFile}`);
  if (r.lastCheckpoint) lines.push(`checkpoint:  ${r.lastCheckpoint}`);
  if (r.reason === 'aborted') lines.push(`stopped at iteration ${r.iteration}; continue with --resume`);
  out.write(lines.join('\n') + '\n');
}

/**
 * `train --config C --dataset DIR [--format coco|voc] [--weights W | --from MODEL [--from-classes FILE]] [--out DIR]
 * [--resume] [--iterations N] [--batch-size B] [--seed S] [--workers N] [--backend B]`: trains a detector, or fine-tunes one
 * (`--from`) (see `runDetectionTraining` in @resdet/training).
 * SIGINT/SIGTERM: the current step finishes, a checkpoint is written, and the command exits 0 (a second signal
 * kills it). A NaN/Inf loss stops with exit code 1 and names the last good checkpoint.
 */
@Command({ name: 'train', description: 'Train a Faster R-CNN detector on a COCO or VOC dataset' })
export class TrainCommand extends CommandRunner {
  async run(_args: string[], f: TrainFlags): Promise<void> {
    if (!f.config) throw new Error('train: --config configs/<name>.json is required');
    if (!f.dataset) throw new Error('train: --dataset DIR is required (a COCO-2017 or VOC2007 tree)');
    const weights = f.weights && (await resolveWeightsFlag(f.weights, { offline: f.offline }));
    const from = f.from && (await resolveWeightsFlag(f.from, { flag: '--from', offline: f.offline }));
    const log = cliLogger('train');
    await initRuntime({ backend: f.backend, env: process.env, log: (m) => log.info(m) });
    let config: unknown;
    try {
      config = JSON.parse(fs.readFileSync(f.config, 'utf8'));
    } catch (e) {
      throw new Error(`${f.config}: cannot read the config (${(e as Error).message})`);
    }
    const outDir = f.out ?? path.join('runs', path.basename(f.config).replace(/\.json$/, ''));
    const iterations =
      f.iterations ?? (config as { train?: { maxIterations?: number } }).train?.maxIterations ?? 1000;
    const reporter = trainingReporter(log, iterations);
    const stop = abortOnSignals(['SIGINT', 'SIGTERM'], (s) =>
      log.warn(`${s}: finishing the step and writing a checkpoint (send it again to quit now)`),
    );
    try {
      const r = await runDetectionTraining({
        config,
        configSource: f.config,
        dataset: { root: f.dataset, format: f.format },
        outDir,
        weights,
        from,
        fromClasses: f.fromClasses,
        resume: f.resume,
        train: { maxIterations: f.iterations, batchSize: f.batchSize, seed: f.seed, baseLr: f.lr },
        workers: f.workers ?? 'auto',
        signal: stop.signal,
        onEvent: reporter.onEvent,
        log: (m) => log.info(m),
      });
      printTrainingSummary(r);
    } catch (e) {
      if (e instanceof TrainingDivergedError) {
        reporter.stop();
        log.error({ err: e.message }, 'training diverged');
        process.stderr.write(`error: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw e;
    } finally {
      reporter.stop();
      stop.dispose();
    }
  }

  @Option({ flags: '--config <file>', description: 'config JSON: {arch, model, classes, train, data}' })
  parseConfig(v: string): string {
    return v;
  }

  @Option({
    flags: '--dataset <dir>',
    description: 'dataset root (COCO: annotations/instances_{train,val}.json)',
  })
  parseDataset(v: string): string {
    return v;
  }

  @Option({ flags: '--format <coco|voc>', description: 'dataset layout', defaultValue: 'coco' })
  parseFormat(v: string): string {
    if (v !== 'coco' && v !== 'voc') throw new Error(`--format must be coco or voc, got "${v}"`);
    return v;
  }

  @Option({
    flags: '--weights <file>',
    description: 'backbone init: ImageNet torchvision ResNet .pth/.safetensors or a registry name (resnet50)',
  })
  parseWeights(v: string): string {
    return v;
  }

  @Option(OFFLINE_OPTION)
  parseOffline(): boolean {
    return true;
  }

  @Option({
    flags: '--from <model>',
    description:
      'fine-tune a full detector (registry name, torchvision .pth, .safetensors, resdet checkpoint): its rows are carried to the dataset classes by name',
  })
  parseFrom(v: string): string {
    return v;
  }

  @Option({
    flags: '--from-classes <file>',
    description: "the --from model's class names, one per line, background first (when it has none)",
  })
  parseFromClasses(v: string): string {
    return v;
  }

  @Option({ flags: '--out <dir>', description: 'output folder (default runs/<config name>)' })
  parseOut(v: string): string {
    return v;
  }

  @Option({ flags: '--resume', description: 'continue from the latest checkpoint in the output folder' })
  parseResume(): boolean {
    return true;
  }

  @Option({ flags: '--iterations <n>', description: 'total iterations (overrides train.maxIterations)' })
  parseIterations(v: string): number {
    return positiveInt('--iterations')(v);
  }

  @Option({ flags: '--batch-size <n>', description: 'images per iteration (overrides train.batchSize)' })
  parseBatchSize(v: string): number {
    return positiveInt('--batch-size')(v);
  }

  @Option({
    flags: '--seed <n>',
    description: 'seed of init, sampling and data order (overrides train.seed)',
  })
  parseSeed(v: string): number {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--seed must be an integer ≥ 0, got "${v}"`);
    return n;
  }

  @Option({ flags: '--lr <x>', description: 'base learning rate (overrides train.baseLr)' })
  parseLr(v: string): number {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--lr must be a positive number, got "${v}"`);
    return n;
  }

  @Option({
    flags: '--workers <n>',
    description:
      'threads computing the shards of a batch when train.shardSize cuts it (default: one per core on a CPU backend); the numbers never depend on it',
  })
  parseWorkers(v: string): number {
    return positiveInt('--workers')(v);
  }

  @Option({ flags: '--backend <name>', description: 'force a tensor backend: wasm, cpu, webgpu, …' })
  parseBackend(v: string): string {
    return v;
  }
}
