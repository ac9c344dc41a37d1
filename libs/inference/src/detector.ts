import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { buildDetector, rgbToTensor, type FasterRcnnConfig, type GeneralizedRCNN } from '@resdet/detection';
import { loadStateDictFromFile, loadWeights, type LoadedWeights } from '@resdet/checkpoint';
import type { Detection, DetectorInfo, ImageDetector, PredictOptions, RawImage } from './detection-types';
import { resolveModelSpec, type ModelSpec, type ModelSource } from './model-spec';

export interface DetectorLoadOptions extends ModelSource {
  /** Force a tensor backend (`--backend`); otherwise `RESDET_BACKEND` from `env`, otherwise the runtime's choice. */
  backend?: string;
  /** The process environment (apps pass `process.env`): see the runtime's `RuntimeOptions.env`. */
  env?: Record<string, string | undefined>;
  /** Run one blank image through the model after loading so the first real request is not the slow one. */
  warmup?: boolean;
  /** Log lines (backend choice, load report) go here; the CLI passes a stderr writer. */
  log?: (msg: string) => void;
}

/**
 * The one way apps get detections: load a config and weights once, then `predict(images)` → detections
 * in original pixels with class names. The CLI `detect` job, `eval --model` and the REST API share it.
 * It owns the model (call `dispose()`), never the caller's images.
 *
 * @example
 * const det = await Detector.load({ arch: 'fasterrcnn_resnet50_fpn', weights: 'fasterrcnn.pth' });
 * const [dets] = await det.predict([await readImage('dog.jpg')]);
 */
export class Detector implements ImageDetector {
  private constructor(
    readonly model: GeneralizedRCNN,
    readonly info: DetectorInfo,
    private readonly spec: ModelSpec,
  ) {}

  static async load(opts: DetectorLoadOptions): Promise<Detector> {
    const backend = await initRuntime({ backend: opts.backend, env: opts.env, log: opts.log });
    const weights: LoadedWeights | undefined = opts.weights ? loadWeights(opts.weights) : undefined;
    const spec = await resolveModelSpec(opts, weights);
    const model = buildDetector(spec.arch, spec.overrides);
    try {
      if (weights) {
        loadStateDictFromFile(model, weights.stateDict, weights.file);
        opts.log?.(`resdet: loaded ${weights.stateDict.size} tensors from ${weights.file}`);
      }
      model.eval();
      const det = new Detector(model, { model: spec.arch, backend, classes: spec.classes }, spec);
      if (opts.warmup ?? true) await det.predict([blankImage(spec.config)]);
      return det;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** Category id reported per contiguous label, when the checkpoint or config maps them (else the label). */
  get categoryIds(): readonly number[] | undefined {
    return this.spec.categoryIds;
  }

  /** Number of classes including background. */
  get numClasses(): number {
    return this.spec.config.numClasses;
  }

  /**
   * Detections per image, sorted by score, boxes xyxy in the image's own pixels. Images are RGB uint8 HWC;
   * they stay the caller's. No tensors are left behind.
   */
  async predict(images: readonly RawImage[], opts: PredictOptions = {}): Promise<Detection[][]> {
    if (images.length === 0) return [];
    const inputs = images.map((im) => rgbToTensor(im));
    try {
      const out = await this.model.predict(inputs);
      return out.map((d) => this.toDetections(d.boxes, d.scores, d.labels, opts));
    } finally {
      tf.dispose(inputs);
    }
  }

  private toDetections(
    boxes: Float32Array,
    scores: Float32Array,
    labels: Int32Array,
    opts: PredictOptions,
  ): Detection[] {
    const wanted = opts.classes?.length ? new Set(opts.classes) : undefined;
    const out: Detection[] = [];
    for (let i = 0; i < scores.length; i++) {
      if (opts.scoreThreshold !== undefined && scores[i] < opts.scoreThreshold) continue;
      const label = this.info.classes[labels[i]] ?? `class_${labels[i]}`;
      if (wanted && !wanted.has(label)) continue;
      out.push({
        label,
        categoryId: this.spec.categoryIds?.[labels[i]] ?? labels[i],
        score: scores[i],
        box: { x1: boxes[4 * i], y1: boxes[4 * i + 1], x2: boxes[4 * i + 2], y2: boxes[4 * i + 3] },
      });
      if (opts.maxDetections !== undefined && out.length >= opts.maxDetections) break;
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

function blankImage(cfg: Readonly<FasterRcnnConfig>): RawImage {
  const side = Math.min(cfg.minSize, 64);
  return { width: side, height: side, data: new Uint8Array(side * side * 3) };
}
