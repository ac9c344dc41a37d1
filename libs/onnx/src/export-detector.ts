import type { GeneralizedRCNN } from '@resdet/detection';
import { FeatureRoiPool } from '@resdet/detection';
import { GraphBuilder } from './graph-builder';
import { ModuleExporter } from './module-exporter';
import { OnnxCodec, OnnxDataType } from './onnx-proto';

/** Name of the `metadata_props` entry holding {@link FasterRcnnOnnxMeta} as JSON. */
export const RESDET_META_KEY = 'resdet';

/**
 * What the two graphs expect and produce, stored as JSON in each file's `metadata_props['resdet']` (so a
 * reader can wire them without resdet's model code). Feature names are the backbone's ('0'…'3', 'pool').
 */
export interface FasterRcnnOnnxMeta {
  format: 'resdet-faster-rcnn-onnx/1';
  /** Backbone output names in order; graph 1 outputs `features.<name>` for each, NCHW. */
  featureNames: string[];
  /** Feature maps the box head pools from (`featmap_names`); graph 2 inputs `features.<name>`. */
  pooledFeatureNames: string[];
  /** RoIAlign output size `[ph, pw]` and `sampling_ratio` (≤ 0: adaptive). */
  roiOutputSize: [number, number];
  samplingRatio: number;
  numClasses: number;
  anchorsPerLocation: number;
  /** Who the model is (architecture name, class names by label), when the exporter was told. */
  model?: { arch?: string; classes?: readonly string[] };
}

/** The exported detector: graph 1 (backbone + FPN + RPN head), graph 2 (RoIAlign per level + box head + predictor). */
export interface FasterRcnnOnnx {
  backbone: Uint8Array;
  boxHead: Uint8Array;
  meta: FasterRcnnOnnxMeta;
}

/**
 * Exports the dense parts of a Faster R-CNN — the SAME module objects tfjs runs — as two ONNX models (opset 17,
 * NCHW, symbolic batch and image size, BatchNorm folded into convolutions):
 *
 * 1. `backbone`: input `images` [N, 3, H, W] (normalised, padded to the size divisibility) → `features.<name>`
 *    [N, C, Hₗ, Wₗ] per backbone level, `objectness` [N, A] logits and `deltas` [N, A, 4] (dx, dy, dw, dh), A
 *    ordered (level, y, x, anchor) as torchvision's `concat_box_prediction_layers`.
 * 2. `boxHead`: inputs `features.<name>` for the pooled levels plus, per pooled level l, `rois.<l>` [Rₗ, 4] xyxy
 *    ALREADY multiplied by that level's spatial scale (a power of two, so this is exact) and
 *    `batch_indices.<l>` [Rₗ] int64 → ONNX RoiAlign (avg, `output_half_pixel` = torchvision's aligned=False,
 *    spatial_scale 1) per level, concatenated in level order → box head → `class_logits` [R, K] and
 *    `box_regression` [R, 4K] (rows in level order: the caller maps them back to its RoI order).
 *
 * Anchors, decoding, top-k, NMS, level assignment and post-processing stay in TypeScript (@resdet/detection).
 *
 * @example
 * const model = buildDetector('fasterrcnn_resnet50_fpn'); model.loadStateDict(sd);
 * const { backbone, boxHead } = exportFasterRcnn(model);
 * writeFileSync('model.onnx', backbone); writeFileSync('model.box-head.onnx', boxHead);
 */
export function exportFasterRcnn(
  model: GeneralizedRCNN,
  opts: { codec?: OnnxCodec; producerVersion?: string; arch?: string; classes?: readonly string[] } = {},
): FasterRcnnOnnx {
  const pool = model.roiHeads.boxRoiPool;
  if (!(pool instanceof FeatureRoiPool)) {
    throw new Error(
      `ONNX export: roi_heads.box_roi_pool is ${pool.constructor.name}; only MultiScaleRoIAlign (FeatureRoiPool) is exported`,
    );
  }
  const featureNames = [...model.backbone.outputShapes().keys()];
  const meta: FasterRcnnOnnxMeta = {
    format: 'resdet-faster-rcnn-onnx/1',
    featureNames,
    pooledFeatureNames: [...pool.featmapNames],
    roiOutputSize: [...pool.pooler.outputSize] as [number, number],
    samplingRatio: pool.pooler.samplingRatio,
    numClasses: model.roiHeads.numClasses,
    anchorsPerLocation: model.rpn.head.numAnchors,
    ...(opts.arch || opts.classes ? { model: { arch: opts.arch, classes: opts.classes } } : {}),
  };
  const codec = opts.codec ?? new OnnxCodec();
  const metadata = { [RESDET_META_KEY]: JSON.stringify(meta) };
  const common = { producerName: 'resdet', producerVersion: opts.producerVersion ?? '', metadata };
  return {
    backbone: codec.encode({ ...common, graph: backboneGraph(model, featureNames) }),
    boxHead: codec.encode({ ...common, graph: boxHeadGraph(model, meta) }),
    meta,
  };
}

function backboneGraph(model: GeneralizedRCNN, featureNames: string[]) {
  const g = new GraphBuilder('resdet_backbone_rpn');
  const ex = new ModuleExporter(g, model);
  const x = g.input('images', OnnxDataType.FLOAT, ['N', 3, 'H', 'W']);
  const feats = ex.backbone(model.backbone, x);
  const names = [...feats.keys()];
  if (names.join() !== featureNames.join()) {
    throw new Error(`ONNX export: backbone gives [${names}] but states outputs [${featureNames}]`);
  }
  const shapes = model.backbone.outputShapes();
  const { objectness, deltas } = ex.rpnHead(model.rpn.head, [...feats.values()]);
  for (const [name, v] of feats) {
    g.output(v, `features.${name}`, OnnxDataType.FLOAT, [
      'N',
      shapes.get(name)!.channels,
      `H_${name}`,
      `W_${name}`,
    ]);
  }
  g.output(objectness, 'objectness', OnnxDataType.FLOAT, ['N', 'A']);
  g.output(deltas, 'deltas', OnnxDataType.FLOAT, ['N', 'A', 4]);
  return g.build('resdet Faster R-CNN: backbone + FPN + RPN head (NCHW, BatchNorm folded)');
}

function boxHeadGraph(model: GeneralizedRCNN, meta: FasterRcnnOnnxMeta) {
  const g = new GraphBuilder('resdet_box_head');
  const ex = new ModuleExporter(g, model);
  const shapes = model.backbone.outputShapes();
  const [ph, pw] = meta.roiOutputSize;
  const pooled = meta.pooledFeatureNames.map((name, l) => {
    const c = shapes.get(name)!.channels;
    const f = g.input(`features.${name}`, OnnxDataType.FLOAT, ['N', c, `H_${name}`, `W_${name}`]);
    const rois = g.input(`rois.${l}`, OnnxDataType.FLOAT, [`R_${l}`, 4]);
    const idx = g.input(`batch_indices.${l}`, OnnxDataType.INT64, [`R_${l}`]);
    return g.node(
      'RoiAlign',
      [f, rois, idx],
      {
        mode: 'avg',
        output_height: ph,
        output_width: pw,
        sampling_ratio: Math.max(meta.samplingRatio, 0),
        coordinate_transformation_mode: 'output_half_pixel',
      },
      `roi_heads.box_roi_pool.level_${l}`,
    );
  });
  const x = pooled.length === 1 ? pooled[0] : g.node('Concat', pooled, { axis: 0 }, 'roi_heads.box_roi_pool');
  const h = ex.emit(model.roiHeads.boxHead, x);
  const { classLogits, boxRegression } = ex.predictor(model.roiHeads.boxPredictor, h);
  g.output(classLogits, 'class_logits', OnnxDataType.FLOAT, ['R', meta.numClasses]);
  g.output(boxRegression, 'box_regression', OnnxDataType.FLOAT, ['R', 4 * meta.numClasses]);
  return g.build('resdet Faster R-CNN: RoIAlign per level (rois pre-scaled) + box head + predictor');
}
