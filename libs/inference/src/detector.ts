import { initRuntime } from '@resdet/runtime';
import { buildDetector, type FasterRcnnConfig, type GeneralizedRCNN } from '@resdet/detection';
import { loadStateDictFromFile, loadWeights } from '@resdet/checkpoint';
import type { Detection, DetectorInfo, ImageDetector, PredictOptions, RawImage } from './detection-types';
import {
  chooseEngine,
  ortEngine,
  tfjsEngine,
  type DetectionEngine,
  type EngineName,
} from './detection-engine';
import { resolveModelSpec, type ModelSpec, type ModelSource } from './model-spec';
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
  const { model, spec, backend } = await loadDetectorModel(opts);
  const engine = chooseEngine(opts.engine ?? 'tfjs', backend);
  if (engine === 'ort') {
    try {
      const ort = await ortEngine(model);
      opts.log?.(`resdet: inference engine ${ort.backend}`);
      return new Detector(ort, spec.arch, spec);
    } finally {
      model.dispose();
    }
  }
  const det = new Detector(tfjsEngine(model, backend), spec.arch, spec);
  try {
    if (opts.warmup ?? true) await det.predict([blankImage(spec.config)]);
    return det;
  } catch (e) {
    det.dispose();
    throw e;
  }
}

/**
 * The Detector facade: `predict(images)` → detections in original pixels with class names, whatever engine runs
 * the model. It owns the engine (call `dispose()` or `release()`), never the caller's images. Get one from
 * {@link openDetector}, or wrap a model you hold with {@link Detector.fromModel}.
 */
export class Detector implements ImageDetector {
  readonly info: DetectorInfo;

  constructor(
    private readonly engine: DetectionEngine,
    modelName: string,
    private readonly labels: LabelMap,
  ) {
    this.info = { model: modelName, backend: engine.backend, classes: labels.classes };
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
