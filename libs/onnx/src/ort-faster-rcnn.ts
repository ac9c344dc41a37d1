import * as os from 'os';
import * as ort from 'onnxruntime-node';
import {
  AnchorGenerator,
  BoxCoderWeights,
  Detections,
  FeatureRoiPool,
  filterProposals,
  GeneralizedRCNN,
  postprocessDetections,
  resizeBoxes,
  setupScales,
  toRoiFormat,
} from '@resdet/detection';
import { exportFasterRcnn, FasterRcnnOnnx, FasterRcnnOnnxMeta } from './export-detector';
import { HostImage, HostTransformOptions, prepareBatch } from './host-transform';

/** Where onnxruntime runs: `cpu`, `cuda` (needs onnxruntime's CUDA build installed), or `auto` (CUDA if it loads, else CPU). */
export type OrtDevice = 'cpu' | 'cuda' | 'auto';

export interface OrtEngineOptions {
  /** Default `cpu`. */
  device?: OrtDevice;
  /** Threads inside one op; default: every core (`os.availableParallelism()`). */
  intraOpNumThreads?: number;
  /** Already exported graphs (e.g. read from files written by `export-onnx`); default: export the model now. */
  onnx?: FasterRcnnOnnx;
}

/** Milliseconds per stage of {@link OrtFasterRcnn.predict}, accumulated over calls. */
export interface OrtStageTimes {
  transform?: number;
  backbone?: number;
  proposals?: number;
  boxHead?: number;
  postprocess?: number;
}

/** Settings of the sparse steps, copied from the model at creation (the engine does not keep the tfjs model). */
interface SparseSettings {
  transform: HostTransformOptions;
  rpn: { preNmsTopN: number; postNmsTopN: number; nmsThresh: number; scoreThresh: number; minSize: number };
  pooler: { canonicalScale: number; canonicalLevel: number };
  post: {
    scoreThresh: number;
    nmsThresh: number;
    detectionsPerImg: number;
    bboxRegWeights: BoxCoderWeights;
    minBoxSize: number;
  };
}

/**
 * Faster R-CNN inference on onnxruntime-node: the dense parts (backbone + FPN + RPN head; RoIAlign + box head)
 * run as the two ONNX graphs of {@link exportFasterRcnn}; the sparse steps reuse @resdet/detection's functions
 * on host arrays — anchors (`AnchorGenerator`), `filterProposals` (top-n, decode, clip, NMS), level mapping
 * (`setupScales`/`LevelMapper`), `postprocessDetections` — so results match the tfjs path. Eval-mode settings
 * (test top-n). Sessions are created once; `release()` frees them. The model passed to `create` is read, not
 * kept: the caller may dispose it afterwards.
 *
 * @example
 * const engine = await OrtFasterRcnn.create(model.eval());
 * const [dets] = await engine.predict([{ data: rgbU8, height: 480, width: 640 }]); // boxes in original pixels
 * await engine.release();
 */
export class OrtFasterRcnn {
  private constructor(
    private readonly backbone: ort.InferenceSession,
    private readonly boxHead: ort.InferenceSession,
    readonly meta: FasterRcnnOnnxMeta,
    readonly device: 'cpu' | 'cuda',
    private readonly anchorGenerator: AnchorGenerator,
    private readonly s: SparseSettings,
  ) {}

  static async create(model: GeneralizedRCNN, opts: OrtEngineOptions = {}): Promise<OrtFasterRcnn> {
    const onnx = opts.onnx ?? exportFasterRcnn(model);
    const pool = model.roiHeads.boxRoiPool;
    if (!(pool instanceof FeatureRoiPool))
      throw new Error('OrtFasterRcnn: the box RoI pooler must be MultiScaleRoIAlign');
    const t = model.transform;
    const rpn = model.rpn;
    const rh = model.roiHeads;
    const s: SparseSettings = {
      transform: {
        minSize: t.minSize[t.minSize.length - 1],
        maxSize: t.maxSize,
        imageMean: t.imageMean,
        imageStd: t.imageStd,
        sizeDivisible: t.sizeDivisible,
      },
      rpn: {
        preNmsTopN: rpn.preNmsTopN.testing,
        postNmsTopN: rpn.postNmsTopN.testing,
        nmsThresh: rpn.nmsThresh,
        scoreThresh: rpn.scoreThresh,
        minSize: rpn.minSize,
      },
      pooler: { canonicalScale: pool.pooler.canonicalScale, canonicalLevel: pool.pooler.canonicalLevel },
      post: {
        scoreThresh: rh.scoreThresh,
        nmsThresh: rh.nmsThresh,
        detectionsPerImg: rh.detectionsPerImg,
        bboxRegWeights: rh.boxCoder.weights,
        minBoxSize: rh.minSize,
      },
    };
    const gen = new AnchorGenerator(rpn.anchorGenerator.sizes, rpn.anchorGenerator.aspectRatios);
    const { backbone, boxHead, device } = await createSessions(onnx, opts);
    return new OrtFasterRcnn(backbone, boxHead, onnx.meta, device, gen, s);
  }

  /**
   * Detections per image (boxes xyxy in the image's own pixels, scores descending, labels 1..K−1). Pass `times`
   * to get milliseconds per stage (benchmarks).
   */
  async predict(images: readonly HostImage[], times?: OrtStageTimes): Promise<Detections[]> {
    if (images.length === 0) return [];
    let t0 = performance.now();
    const lap = (k: keyof OrtStageTimes) => {
      const t = performance.now();
      if (times) times[k] = (times[k] ?? 0) + t - t0;
      t0 = t;
    };
    const batch = prepareBatch(images, this.s.transform);
    const [, , hp, wp] = batch.dims;
    lap('transform');
    const out = await this.backbone.run({ images: new ort.Tensor('float32', batch.data, batch.dims) });
    lap('backbone');
    const feats = this.meta.featureNames.map((n) => out[`features.${n}`]);
    const featureSizes = feats.map((t) => [t.dims[2], t.dims[3]] as const);
    const anchors = this.anchorGenerator.anchors([hp, wp], featureSizes);
    const perLoc = this.anchorGenerator.numAnchorsPerLocation();
    const proposals = filterProposals({
      objectness: out.objectness.data as Float32Array,
      deltas: out.deltas.data as Float32Array,
      anchors,
      numAnchorsPerLevel: featureSizes.map(([h, w], l) => h * w * perLoc[l]),
      imageSizes: batch.imageSizes,
      ...this.s.rpn,
    });
    lap('proposals');
    const head = await this.boxOutputs(out, proposals.boxes, batch.imageSizes);
    lap('boxHead');
    const dets = postprocessDetections(
      head.classLogits,
      head.boxRegression,
      proposals.boxes,
      batch.imageSizes,
      this.meta.numClasses,
      this.s.post,
    );
    lap('postprocess');
    return dets.map((d, i) => ({
      ...d,
      boxes: resizeBoxes(d.boxes, batch.imageSizes[i], [images[i].height, images[i].width]),
    }));
  }

  /**
   * Graph 2 on per-image proposals: level assignment and scaling here, RoIAlign + head in ONNX; rows come back in
   * level order and are put back in RoI order (image 0's proposals first), as `RoIHeads.boxOutputs` returns them.
   */
  private async boxOutputs(
    features: ort.InferenceSession.OnnxValueMapType,
    boxes: Float32Array[],
    imageSizes: [number, number][],
  ): Promise<{ classLogits: Float32Array; boxRegression: Float32Array }> {
    const k = this.meta.numClasses;
    const rois = toRoiFormat(boxes);
    const r = rois.length / 5;
    if (r === 0) return { classLogits: new Float32Array(0), boxRegression: new Float32Array(0) };
    const maps = this.meta.pooledFeatureNames.map((n) => features[`features.${n}`]);
    const { scales, mapper } = setupScales(
      maps.map((m) => m.dims[2]),
      imageSizes,
      this.s.pooler.canonicalScale,
      this.s.pooler.canonicalLevel,
    );
    const levels = maps.length === 1 ? new Int32Array(r) : mapper.map(boxes);
    const order: number[] = [];
    const feeds: Record<string, ort.Tensor> = {};
    maps.forEach((m, l) => {
      feeds[`features.${this.meta.pooledFeatureNames[l]}`] = m;
      const members: number[] = [];
      for (let j = 0; j < r; j++) if (levels[j] === l) members.push(j);
      const lr = new Float32Array(members.length * 4);
      const li = new BigInt64Array(members.length);
      members.forEach((j, q) => {
        li[q] = BigInt(rois[5 * j]);
        for (let c = 0; c < 4; c++) lr[4 * q + c] = Math.fround(rois[5 * j + 1 + c] * scales[l]);
      });
      feeds[`rois.${l}`] = new ort.Tensor('float32', lr, [members.length, 4]);
      feeds[`batch_indices.${l}`] = new ort.Tensor('int64', li, [members.length]);
      order.push(...members);
    });
    const out = await this.boxHead.run(feeds);
    const logits = out.class_logits.data as Float32Array;
    const deltas = out.box_regression.data as Float32Array;
    const classLogits = new Float32Array(r * k);
    const boxRegression = new Float32Array(r * 4 * k);
    order.forEach((j, q) => {
      classLogits.set(logits.subarray(q * k, (q + 1) * k), j * k);
      boxRegression.set(deltas.subarray(q * 4 * k, (q + 1) * 4 * k), j * 4 * k);
    });
    return { classLogits, boxRegression };
  }

  async release(): Promise<void> {
    this.anchorGenerator.dispose();
    await Promise.all([this.backbone.release(), this.boxHead.release()]);
  }
}

/** Sessions for both graphs with the requested device; `auto` falls back to CPU when CUDA does not load. */
async function createSessions(
  onnx: FasterRcnnOnnx,
  opts: OrtEngineOptions,
): Promise<{ backbone: ort.InferenceSession; boxHead: ort.InferenceSession; device: 'cpu' | 'cuda' }> {
  const device = opts.device ?? 'cpu';
  const threads = opts.intraOpNumThreads ?? os.availableParallelism?.() ?? os.cpus().length;
  const make = async (providers: string[]) => {
    const so: ort.InferenceSession.SessionOptions = {
      executionProviders: providers,
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    };
    const backbone = await ort.InferenceSession.create(onnx.backbone, so);
    try {
      return { backbone, boxHead: await ort.InferenceSession.create(onnx.boxHead, so) };
    } catch (e) {
      await backbone.release();
      throw e;
    }
  };
  if (device === 'cpu') return { ...(await make(['cpu'])), device: 'cpu' };
  try {
    return { ...(await make(['cuda', 'cpu'])), device: 'cuda' };
  } catch (e) {
    if (device === 'cuda') {
      throw new Error(
        `onnxruntime: the CUDA execution provider did not load (${(e as Error).message}); install onnxruntime-node with CUDA or use --device cpu`,
      );
    }
    return { ...(await make(['cpu'])), device: 'cpu' };
  }
}
