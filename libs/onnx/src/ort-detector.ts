import type { GeneralizedRCNN } from '@resdet/detection';
import type { Detection, DetectorInfo, ImageDetector, PredictOptions, RawImage } from '@resdet/inference';
import { OrtEngineOptions, OrtFasterRcnn } from './ort-faster-rcnn';

export interface OrtDetectorOptions extends OrtEngineOptions {
  /** Architecture name for `info.model` (e.g. `fasterrcnn_resnet50_fpn`). */
  modelName: string;
  /** Class names by contiguous label (0 = background). */
  classes: readonly string[];
  /** Category id per contiguous label (COCO ids for torchvision's 91-class models); default: the label itself. */
  categoryIds?: readonly number[];
}

/**
 * The onnxruntime engine behind the `ImageDetector` interface the CLI and the API use (the tfjs `Detector`'s
 * twin): RGB uint8 images in, detections with class names and boxes in original pixels out. Build it with
 * {@link createOrtDetector}.
 */
export class OrtDetector implements ImageDetector {
  constructor(
    private readonly engine: OrtFasterRcnn,
    readonly info: DetectorInfo,
    private readonly categoryIds: readonly number[] | undefined,
  ) {}

  async predict(images: readonly RawImage[], opts: PredictOptions = {}): Promise<Detection[][]> {
    images.forEach((im, i) => {
      if (im.data.length !== im.width * im.height * 3) {
        throw new Error(`image ${i} data has ${im.data.length} bytes, expected ${im.width}×${im.height}×3`);
      }
    });
    const out = await this.engine.predict(
      images.map((im) => ({ data: im.data, height: im.height, width: im.width })),
    );
    const wanted = opts.classes?.length ? new Set(opts.classes) : undefined;
    return out.map((d) => {
      const dets: Detection[] = [];
      for (let i = 0; i < d.scores.length; i++) {
        if (opts.scoreThreshold !== undefined && d.scores[i] < opts.scoreThreshold) continue;
        const label = this.info.classes[d.labels[i]] ?? `class_${d.labels[i]}`;
        if (wanted && !wanted.has(label)) continue;
        const b = d.boxes.subarray(4 * i, 4 * i + 4);
        dets.push({
          label,
          categoryId: this.categoryIds?.[d.labels[i]] ?? d.labels[i],
          score: d.scores[i],
          box: { x1: b[0], y1: b[1], x2: b[2], y2: b[3] },
        });
        if (opts.maxDetections !== undefined && dets.length >= opts.maxDetections) break;
      }
      return dets;
    });
  }

  /** Frees the onnxruntime sessions (fire-and-forget; `release()` awaits it). */
  dispose(): void {
    void this.engine.release();
  }

  release(): Promise<void> {
    return this.engine.release();
  }
}

/**
 * Creates the onnxruntime engine for a loaded (eval-mode settings are used) GeneralizedRCNN — the same model
 * object the tfjs `Detector` runs — by exporting it to ONNX in memory (or using `opts.onnx`) and opening both
 * sessions once. `info.backend` reads `onnxruntime-cpu` or `onnxruntime-cuda`. The model is not kept; the
 * caller may dispose it afterwards.
 *
 * @example
 * const det = await createOrtDetector(model, { modelName: 'fasterrcnn_resnet50_fpn', classes: COCO_NAMES });
 * const [dets] = await det.predict([image]);
 * det.dispose();
 */
export async function createOrtDetector(
  model: GeneralizedRCNN,
  opts: OrtDetectorOptions,
): Promise<OrtDetector> {
  const engine = await OrtFasterRcnn.create(model, opts);
  return new OrtDetector(
    engine,
    { model: opts.modelName, backend: `onnxruntime-${engine.device}`, classes: opts.classes },
    opts.categoryIds,
  );
}
