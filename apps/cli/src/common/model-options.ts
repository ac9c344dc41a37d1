import { CommandRunner, Option } from 'nest-commander';
import type { Detector, EngineName, OpenDetectorOptions, ResultsFormat } from '@resdet/inference';
import { withResolvedWeights } from './weights-flag';

/** Flags that choose a model and its engine, shared by `detect`, `serve`, `eval --model` and `export-onnx`. */
export interface ModelFlags {
  config?: string;
  arch?: string;
  weights?: string;
  numClasses?: number;
  classes?: string;
  minSize?: number;
  maxSize?: number;
  scoreThreshold?: number;
  maxDetections?: number;
  backend?: string;
  engine?: EngineName;
  /** Registry names from the cache only (no download). */
  offline?: boolean;
}

/** `--offline`, shared by every command that resolves registry names (detect, eval, train, …). */
export const OFFLINE_OPTION = {
  flags: '--offline',
  description: 'registry names from the cache only, never download (or RESDET_OFFLINE=1)',
};

export const positiveInt =
  (flag: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${v}"`);
    return n;
  };

export const unitInterval =
  (flag: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1)
      throw new Error(`${flag} must be a number in [0, 1], got "${v}"`);
    return n;
  };

/** `--format` of detection results (`detect`, `jobs results`). */
export function parseResultsFormat(v: string): ResultsFormat {
  if (v !== 'json' && v !== 'ndjson') throw new Error(`--format must be json or ndjson, got "${v}"`);
  return v;
}

/** Model flags → openDetector options (the backend may also come from the environment). */
export function detectorOptions(f: ModelFlags): OpenDetectorOptions {
  return {
    config: f.config,
    arch: f.arch,
    weights: f.weights,
    numClasses: f.numClasses,
    classesFile: f.classes,
    minSize: f.minSize,
    maxSize: f.maxSize,
    scoreThreshold: f.scoreThreshold,
    maxDetections: f.maxDetections,
    backend: f.backend,
    engine: f.engine,
    env: process.env,
    log: (m) => process.stderr.write(m + '\n'),
  };
}

/** Model flags → openDetector options, with a registry name in `--weights` resolved to a local file first. */
export async function resolvedDetectorOptions(f: ModelFlags): Promise<OpenDetectorOptions> {
  return detectorOptions(await withResolvedWeights(f));
}

/**
 * Loads the model once on the engine the flags ask for — in this thread, or once in each of `run.workers`
 * worker threads (default: one per core for tfjs on a CPU backend, at most one per image). The tensor
 * libraries load here, not when the command module does, so `--help` and the light commands stay fast.
 */
export async function openDetectorFromFlags(f: ModelFlags, run: BatchedRun = {}): Promise<Detector> {
  const options = await resolvedDetectorOptions(f);
  const { openDetector } = await import('@resdet/inference');
  return openDetector({ ...options, workers: run.workers ?? 'auto', maxWorkers: run.images });
}

/** A batched command's run: `--workers` and how many images there are (never more workers than images). */
export interface BatchedRun {
  workers?: number;
  images?: number;
}

/** Base of every command that runs a detector (the model commands and `worker`): `--engine` and `--backend`. */
export abstract class EngineCommand extends CommandRunner {
  @Option({
    flags: '--engine <name>',
    description: 'ort (onnxruntime), tfjs, or auto (ort when installed and no GPU backend)',
    defaultValue: 'auto',
  })
  parseEngine(v: string): EngineName {
    if (v !== 'ort' && v !== 'tfjs' && v !== 'auto')
      throw new Error(`--engine must be ort, tfjs or auto, got "${v}"`);
    return v;
  }

  @Option({
    flags: '--backend <name>',
    description: 'force a tensor backend: wasm, cpu, node, node-gpu, webgpu',
  })
  parseBackend(v: string): string {
    return v;
  }
}

/** Base class of commands that load a detector: declares the model flags once. */
export abstract class ModelCommand extends EngineCommand {
  @Option({ flags: '--config <file>', description: 'model config JSON (configs/….json)' })
  parseConfig(v: string): string {
    return v;
  }

  @Option({
    flags: '--arch <name>',
    description: 'architecture, e.g. fasterrcnn_resnet50_fpn (when no --config)',
  })
  parseArch(v: string): string {
    return v;
  }

  @Option({
    flags: '--weights <file>',
    description:
      'torchvision .pth, .safetensors, a resdet checkpoint, or a registry name (resdet weights list)',
  })
  parseWeights(v: string): string {
    return v;
  }

  @Option(OFFLINE_OPTION)
  parseOffline(): boolean {
    return true;
  }

  @Option({
    flags: '--num-classes <n>',
    description: 'classes incl. background (default: from the checkpoint)',
  })
  parseNumClasses(v: string): number {
    return positiveInt('--num-classes')(v);
  }

  @Option({
    flags: '--classes <file>',
    description: 'class names, one per line (default: checkpoint/config/COCO)',
  })
  parseClasses(v: string): string {
    return v;
  }

  @Option({ flags: '--min-size <px>', description: 'short side the model resizes to (default: config, 800)' })
  parseMinSize(v: string): number {
    return positiveInt('--min-size')(v);
  }

  @Option({ flags: '--max-size <px>', description: 'long side limit (default: config, 1333)' })
  parseMaxSize(v: string): number {
    return positiveInt('--max-size')(v);
  }

  @Option({ flags: '--score-threshold <s>', description: 'drop detections below this score (default 0.05)' })
  parseScoreThreshold(v: string): number {
    return unitInterval('--score-threshold')(v);
  }

  @Option({ flags: '--max-detections <n>', description: 'detections per image (default 100)' })
  parseMaxDetections(v: string): number {
    return positiveInt('--max-detections')(v);
  }
}

/** Commands that run a model over many images also share `--batch-size`; each has its own default. */
export abstract class BatchedModelCommand extends ModelCommand {
  @Option({ flags: '--batch-size <n>', description: 'images per forward pass (detect: 1, eval: 2)' })
  parseBatchSize(v: string): number {
    return positiveInt('--batch-size')(v);
  }

  @Option({
    flags: '--workers <n>',
    description:
      'model copies in worker threads, images spread over them (default: one per core for tfjs on CPU; 1: this thread)',
  })
  parseWorkers(v: string): number {
    return positiveInt('--workers')(v);
  }
}
