import { availableParallelism } from 'node:os';
import { backendCaps, initRuntime } from '@resdet/runtime';
import { buildDetector, type FasterRcnnConfig, type GeneralizedRCNN } from '@resdet/detection';
import { loadStateDictFromFile, loadWeights } from '@resdet/checkpoint';
import type {
  Detection,
  DetectorInfo,
  ImageDetector,
  PredictOptions,
  RawImage,
  WorkerPoolStatus,
} from './detection-types';
import {
  chooseEngine,
  ortEngine,
  tfjsEngine,
  type DetectionEngine,
  type EngineName,
} from './detection-engine';
import { resolveModelSpec, type ModelSpec, type ModelSource } from './model-spec';
import { detectorWorkersBuilt } from './detector-worker-script';
import { toDetections, type LabelMap } from './to-detections';

export interface DetectorLoadOptions extends ModelSource {
  /** Force a tensor backend (`--backend`); otherwise `RESDET_BACKEND` from `env`, otherwise the runtime's choice. */
  backend?: string;
  /** The process environment (apps pass `process.env`): see the runtime's `RuntimeOptions.env`. */
  env?: Record<string, string | undefined>;
  /** Log lines (backend choice, load report) go here; the CLI passes a stderr writer. */
  log?: (msg: string) => void;
}

export interface OpenDetectorOptions extends DetectorLoadOptions {
  /** `tfjs` (default), `ort` (onnxruntime-node), or `auto` (see `chooseEngine`). */
  engine?: EngineName;
  /** Run one blank image through a tfjs model after loading so the first real request is not the slow one. */
  warmup?: boolean;
  /**
   * Engines in worker threads, each with the model loaded once (see {@link openDetectorPool}); 1 (default)
   * runs the model in this thread. `auto`: one per core for tfjs on a CPU backend, else 1.
   */
  workers?: number | 'auto';
  /** Never more workers than this (the number of images to process). */
  maxWorkers?: number;
  /** onnxruntime's threads inside one op (default: every core). */
  intraOpThreads?: number;
}

/** A model built and loaded from config + weights, not yet behind an engine (export-onnx needs only this). */
export interface LoadedDetectorModel {
  model: GeneralizedRCNN;
  spec: ModelSpec;
  /** The tensor backend the model lives on. */
  backend: string;
}

/**
 * Builds the model a {@link ModelSource} describes on the chosen tensor backend and loads its weights, in eval
 * mode. The caller owns (disposes) the model.
 */
export async function loadDetectorModel(opts: DetectorLoadOptions): Promise<LoadedDetectorModel> {
  const backend = await initRuntime({ backend: opts.backend, env: opts.env, log: opts.log });
  const weights = opts.weights ? loadWeights(opts.weights) : undefined;
  const spec = await resolveModelSpec(opts, weights);
  const model = buildDetector(spec.arch, spec.overrides);
  try {
    if (weights) {
      loadStateDictFromFile(model, weights.stateDict, weights.file);
      opts.log?.(`resdet: loaded ${weights.stateDict.size} tensors from ${weights.file}`);
    }
    model.eval();
    return { model, spec, backend };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The one way apps get a detector: load a config and weights once, put the model behind the engine asked for
 * (tfjs or onnxruntime), and return the {@link Detector} facade. The CLI's `detect`, `eval --model`, `serve`,
 * the demo and the REST API all open their model here.
 *
 * @example
 * const det = await openDetector({ arch: 'fasterrcnn_resnet50_fpn', weights: 'fasterrcnn.pth', engine: 'auto' });
 * const [dets] = await det.predict([await readImage('dog.jpg')]);
 * det.dispose();
 */
export async function openDetector(opts: OpenDetectorOptions): Promise<Detector> {
  const workers = await workerCount(opts);
  if (workers > 1) {
    const { openDetectorPool } = await import('./detector-pool');
    const pool = await openDetectorPool(opts, workers);
    return new Detector(pool.engine, pool.arch, pool.labels);
  }
  const { engine, spec } = await openDetectionEngine(opts);
  return new Detector(engine, spec.arch, spec);
}

/**
 * The model a {@link ModelSource} describes behind the engine asked for, in this thread, warmed up (tfjs).
 * The caller owns the engine (`release()`).
 */
export async function openDetectionEngine(
  opts: OpenDetectorOptions,
): Promise<{ engine: DetectionEngine; spec: ModelSpec }> {
  const { model, spec, backend } = await loadDetectorModel(opts);
  if (chooseEngine(opts.engine ?? 'tfjs', backend) === 'ort') {
    try {
      const ort = await ortEngine(model, { intraOpNumThreads: opts.intraOpThreads });
      opts.log?.(`resdet: inference engine ${ort.backend}`);
      return { engine: ort, spec };
    } finally {
      model.dispose();
    }
  }
  const engine = tfjsEngine(model, backend);
  try {
    if (opts.warmup ?? true) await engine.run([blankImage(spec.config)]);
    return { engine, spec };
  } catch (e) {
    await engine.release();
    throw e;
  }
}

/**
 * How many engines `openDetector` starts: `workers` (`auto`: every core when the model runs on tfjs on a CPU
 * backend and the worker entry is built; a GPU backend or onnxruntime already uses the machine from one thread),
 * at most `maxWorkers`.
 */
async function workerCount(opts: OpenDetectorOptions): Promise<number> {
  let n = opts.workers ?? 1;
  if (n === 'auto') {
    const backend = await initRuntime({ backend: opts.backend, env: opts.env, log: opts.log });
    const cpuTfjs = chooseEngine(opts.engine ?? 'tfjs', backend) === 'tfjs' && !backendCaps(backend).gpu;
    n = cpuTfjs && detectorWorkersBuilt() ? availableParallelism() : 1;
  }
  return Math.max(1, Math.min(n, opts.maxWorkers ?? n));
}

/**
 * The Detector facade: `predict(images)` → detections in original pixels with class names, whatever engine runs
 * the model. It owns the engine (call `dispose()` or `release()`), never the caller's images. Get one from
 * {@link openDetector}, or wrap a model you hold with {@link Detector.fromModel}.
 */
export class Detector implements ImageDetector {
  readonly info: DetectorInfo;
  /** Batches it runs at once: the number of workers behind it, else 1. */
  readonly concurrency: number;

  constructor(
    private readonly engine: DetectionEngine,
    modelName: string,
    private readonly labels: LabelMap,
  ) {
    this.info = { model: modelName, backend: engine.backend, classes: labels.classes };
    this.concurrency = engine.concurrency ?? 1;
  }

  /**
   * A facade over a tfjs model the caller keeps (training's periodic evaluation): `dispose()` leaves the
   * model alone.
   */
  static fromModel(model: GeneralizedRCNN, modelName: string, labels: LabelMap, backend: string): Detector {
    const engine = tfjsEngine(model, backend);
    return new Detector({ ...engine, release: async () => undefined }, modelName, labels);
  }

  /**
   * Detections per image, sorted by score, boxes xyxy in the image's own pixels. Images are RGB uint8 HWC;
   * they stay the caller's. No tensors are left behind.
   */
  async predict(images: readonly RawImage[], opts: PredictOptions = {}): Promise<Detection[][]> {
    if (images.length === 0) return [];
    images.forEach((im, i) => {
      if (im.data.length !== im.width * im.height * 3) {
        throw new Error(`image ${i} data has ${im.data.length} bytes, expected ${im.width}×${im.height}×3`);
      }
    });
    const raw = await this.engine.run(images);
    return raw.map((d) => toDetections(d, this.labels, opts));
  }

  /** The worker pool's state when the model runs in worker threads; undefined in this thread. */
  status(): WorkerPoolStatus | undefined {
    return this.engine.status?.();
  }

  /** Frees the engine (fire-and-forget; `release()` awaits it). */
  dispose(): void {
    void this.engine.release();
  }

  release(): Promise<void> {
    return this.engine.release();
  }
}

function blankImage(cfg: Readonly<FasterRcnnConfig>): RawImage {
  const side = Math.min(cfg.minSize, 64);
  return { width: side, height: side, data: new Uint8Array(side * side * 3) };
}

/**
 * Writes the model a {@link ModelSource} describes as ONNX (`out` and `<out>.box-head.onnx`, see @resdet/onnx's
 * `writeFasterRcnnOnnx`), the same model `openDetector` would run.
 */
export async function exportDetectorOnnx(opts: DetectorLoadOptions, out: string) {
  const { model, spec } = await loadDetectorModel(opts);
  try {
    const { writeFasterRcnnOnnx } = await import('@resdet/onnx');
    const written = await writeFasterRcnnOnnx(model, out, { arch: spec.arch, classes: spec.classes });
    return { ...written, arch: spec.arch };
  } finally {
    model.dispose();
  }
}
