/**
 * One typed configuration for every Faster R-CNN variant, with torchvision's defaults in one frozen object.
 * Names are torchvision's `FasterRCNN.__init__` keyword arguments in camelCase; where a name is resdet's own, a
 * comment says which torchvision value it stands for. Variants are resolved by spreading:
 * `resolveConfig({ ...FASTER_RCNN_DEFAULTS, ...variant, ...userOverrides })` — nothing is mutated.
 */
import { RESNET_DEPTHS, ResNetDepth } from '@resdet/resnet';

/** `fpn`: ResNet C2–C5 + FPN + TwoMLPHead (torchvision). `c4`: ResNet C2–C4 + ResNet stage 5 as box head (paper). */
export type DetectorHead = 'fpn' | 'c4';

/** `frozen`: FrozenBatchNorm2d (pretrained backbones); `batch`: trainable BatchNorm2d (training from scratch). */
export type BackboneNorm = 'frozen' | 'batch';

/** A head's `norm_layer`: `'none'` (None) or `'batch'` (BatchNorm2d, trainable). */
export type HeadNorm = 'none' | 'batch';

export interface FasterRcnnConfig {
  /** Classes including background (torchvision `num_classes`; 91 for COCO). */
  numClasses: number;

  // ---- GeneralizedRCNNTransform ----
  minSize: number;
  maxSize: number;
  imageMean: readonly number[];
  imageStd: readonly number[];
  /** Batch padding multiple (`size_divisible`). */
  sizeDivisible: number;

  // ---- backbone (torchvision's `resnet_fpn_backbone` arguments) ----
  head: DetectorHead;
  backboneDepth: ResNetDepth;
  /** Width of the stem and of layer1's bottleneck (64 in every torchvision ResNet); stages double it. */
  backboneWidth: number;
  /** Blocks per stage; `undefined` means the depth's standard counts (e.g. [3, 4, 6, 3] for 50). */
  backboneLayers?: readonly number[];
  backboneNorm: BackboneNorm;
  /**
   * eps of the backbone's FrozenBatchNorm2d layers (torchvision: 1e-5). A property of a weight set, not of the
   * architecture: torchvision's COCO_V1 `fasterrcnn_resnet50_fpn` weights need 0 (`overwrite_eps`); the
   * checkpoint lib's weights table says so and the loader sets it.
   */
  frozenBnEps: number;
  /** Trainable stages counted from layer4 (`trainable_layers`, 0–5; torchvision's default is 3). */
  trainableLayers: number;
  /** FPN channels (`out_channels` in `_resnet_fpn_extractor`, 256). */
  fpnOutChannels: number;
  /** FPN `norm_layer`: `'none'` (torchvision's default), `'batch'` (BatchNorm2d after every FPN conv, v2). */
  fpnNorm: HeadNorm;

  // ---- RPN ----
  /** One list of anchor sizes per feature level (`AnchorGenerator.sizes`). */
  rpnAnchorSizes: readonly (readonly number[])[];
  /** One list of aspect ratios (h/w) per level (`AnchorGenerator.aspect_ratios`). */
  rpnAspectRatios: readonly (readonly number[])[];
  /** 3×3 conv + ReLU layers of the RPN head (`RPNHead.conv_depth`: 1; 2 in `fasterrcnn_resnet50_fpn_v2`). */
  rpnConvDepth: number;
  rpnPreNmsTopNTrain: number;
  rpnPreNmsTopNTest: number;
  rpnPostNmsTopNTrain: number;
  rpnPostNmsTopNTest: number;
  rpnNmsThresh: number;
  rpnFgIouThresh: number;
  rpnBgIouThresh: number;
  rpnBatchSizePerImage: number;
  rpnPositiveFraction: number;
  rpnScoreThresh: number;
  /** Proposals smaller than this (either side) are dropped (`RegionProposalNetwork.min_size`, fixed 1e-3). */
  rpnMinSize: number;

  // ---- box RoI pooling (`MultiScaleRoIAlign`) ----
  boxRoiPoolFeatmapNames: readonly string[];
  boxRoiPoolOutputSize: number;
  boxRoiPoolSamplingRatio: number;
  /** torchvision: false. Detectron2's ROIAlignV2: true. */
  boxRoiPoolAligned: boolean;
  /** TwoMLPHead width (`representation_size`, 1024). Unused by the C4 head (its width is ResNet stage 5's). */
  representationSize: number;
  /**
   * FPN box head: `[]` is `TwoMLPHead`; otherwise `FastRCNNConvFCHead` with these 3×3 conv widths (`conv_layers`)
   * and one fc layer of `representationSize` (`fc_layers`); v2: [256, 256, 256, 256].
   */
  boxHeadConvLayers: readonly number[];
  /** `FastRCNNConvFCHead`'s `norm_layer`: `'none'` (its default) or `'batch'` (v2). */
  boxHeadNorm: HeadNorm;

  // ---- RoIHeads ----
  boxScoreThresh: number;
  boxNmsThresh: number;
  boxDetectionsPerImg: number;
  boxFgIouThresh: number;
  boxBgIouThresh: number;
  boxBatchSizePerImage: number;
  boxPositiveFraction: number;
  /** `bbox_reg_weights` (None → (10, 10, 5, 5)). */
  bboxRegWeights: readonly number[];
  /** Removes predicted boxes smaller than this (`remove_small_boxes(boxes, 1e-2)` in postprocess_detections). */
  boxMinSize: number;

  /** Seed for weight init and sampling. */
  seed: number;
}

const freezeDeep = <T>(o: T): T => {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) freezeDeep(v);
    Object.freeze(o);
  }
  return o;
};

/** torchvision 0.14 `fasterrcnn_resnet50_fpn` defaults. */
export const FASTER_RCNN_DEFAULTS: Readonly<FasterRcnnConfig> = freezeDeep<FasterRcnnConfig>({
  numClasses: 91,
  minSize: 800,
  maxSize: 1333,
  imageMean: [0.485, 0.456, 0.406],
  imageStd: [0.229, 0.224, 0.225],
  sizeDivisible: 32,
  head: 'fpn',
  backboneDepth: 50,
  backboneWidth: 64,
  backboneLayers: undefined,
  backboneNorm: 'frozen',
  frozenBnEps: 1e-5,
  trainableLayers: 3,
  fpnOutChannels: 256,
  fpnNorm: 'none',
  rpnAnchorSizes: [[32], [64], [128], [256], [512]],
  rpnAspectRatios: [
    [0.5, 1, 2],
    [0.5, 1, 2],
    [0.5, 1, 2],
    [0.5, 1, 2],
    [0.5, 1, 2],
  ],
  rpnConvDepth: 1,
  rpnPreNmsTopNTrain: 2000,
  rpnPreNmsTopNTest: 1000,
  rpnPostNmsTopNTrain: 2000,
  rpnPostNmsTopNTest: 1000,
  rpnNmsThresh: 0.7,
  rpnFgIouThresh: 0.7,
  rpnBgIouThresh: 0.3,
  rpnBatchSizePerImage: 256,
  rpnPositiveFraction: 0.5,
  rpnScoreThresh: 0,
  rpnMinSize: 1e-3,
  boxRoiPoolFeatmapNames: ['0', '1', '2', '3'],
  boxRoiPoolOutputSize: 7,
  boxRoiPoolSamplingRatio: 2,
  boxRoiPoolAligned: false,
  representationSize: 1024,
  boxHeadConvLayers: [],
  boxHeadNorm: 'none',
  boxScoreThresh: 0.05,
  boxNmsThresh: 0.5,
  boxDetectionsPerImg: 100,
  boxFgIouThresh: 0.5,
  boxBgIouThresh: 0.5,
  boxBatchSizePerImage: 512,
  boxPositiveFraction: 0.25,
  bboxRegWeights: [10, 10, 5, 5],
  boxMinSize: 1e-2,
  seed: 0,
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const KEYS = new Set(Object.keys(FASTER_RCNN_DEFAULTS));

/**
 * Merges `overrides` over {@link FASTER_RCNN_DEFAULTS} and validates the result once. Throws a
 * {@link ConfigError} naming the field, the bad value and what is allowed (prefixed by `source`, e.g. a
 * config file name). Unknown keys are rejected (catches typos). Returns a new frozen object.
 */
export function resolveConfig(
  overrides: Partial<FasterRcnnConfig> = {},
  source = 'faster-rcnn config',
): Readonly<FasterRcnnConfig> {
  for (const k of Object.keys(overrides)) {
    if (!KEYS.has(k))
      throw new ConfigError(`${source}: unknown field "${k}"; valid fields: ${[...KEYS].join(', ')}`);
  }
  const cfg: FasterRcnnConfig = { ...FASTER_RCNN_DEFAULTS, ...stripUndefined(overrides) };
  const bad = (field: string, want: string, got: unknown): never => {
    throw new ConfigError(`${source}: ${field} must be ${want}, got ${JSON.stringify(got)}`);
  };
  const int = (field: keyof FasterRcnnConfig, min: number, max = Infinity) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      bad(field, `an integer in [${min}, ${max === Infinity ? '∞' : max}]`, v);
    }
  };
  const unit = (field: keyof FasterRcnnConfig, lo: number, hiOpen = false) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !(v >= lo) || (hiOpen ? !(v < 1) : !(v <= 1))) {
      bad(field, `a number in [${lo}, 1${hiOpen ? ')' : ']'}`, v);
    }
  };
  const posNum = (field: keyof FasterRcnnConfig) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) bad(field, 'a positive number', v);
  };
  const numList = (field: keyof FasterRcnnConfig, len: number, positive: boolean) => {
    const v = cfg[field] as unknown;
    if (
      !Array.isArray(v) ||
      v.length !== len ||
      v.some((x) => typeof x !== 'number' || (positive && !(x > 0)))
    ) {
      bad(field, `a list of ${len} ${positive ? 'positive ' : ''}numbers`, v);
    }
  };

  int('numClasses', 2);
  int('minSize', 1);
  int('maxSize', cfg.minSize);
  numList('imageMean', 3, false);
  numList('imageStd', 3, true);
  int('sizeDivisible', 1);
  if (cfg.head !== 'fpn' && cfg.head !== 'c4') bad('head', '"fpn" or "c4"', cfg.head);
  if (!RESNET_DEPTHS.includes(cfg.backboneDepth))
    bad('backboneDepth', `one of ${RESNET_DEPTHS.join(', ')}`, cfg.backboneDepth);
  int('backboneWidth', 1);
  if (cfg.backboneLayers !== undefined) {
    const l = cfg.backboneLayers as unknown;
    if (!Array.isArray(l) || l.length !== 4 || l.some((x) => !Number.isInteger(x) || x < 1)) {
      bad('backboneLayers', 'a list of 4 positive integers (blocks per stage)', l);
    }
  }
  if (cfg.backboneNorm !== 'frozen' && cfg.backboneNorm !== 'batch')
    bad('backboneNorm', '"frozen" or "batch"', cfg.backboneNorm);
  if (!(typeof cfg.frozenBnEps === 'number' && cfg.frozenBnEps >= 0))
    bad('frozenBnEps', 'a number ≥ 0', cfg.frozenBnEps);
  int('trainableLayers', 0, 5);
  int('fpnOutChannels', 1);
  if (cfg.fpnNorm !== 'none' && cfg.fpnNorm !== 'batch') bad('fpnNorm', '"none" or "batch"', cfg.fpnNorm);
  int('rpnConvDepth', 1);

  const sizes = cfg.rpnAnchorSizes as unknown;
  const ratios = cfg.rpnAspectRatios as unknown;
  const isPosLists = (x: unknown) =>
    Array.isArray(x) &&
    x.length > 0 &&
    x.every((l) => Array.isArray(l) && l.length > 0 && l.every((v) => typeof v === 'number' && v > 0));
  if (!isPosLists(sizes))
    bad('rpnAnchorSizes', 'a non-empty list (one per level) of non-empty lists of positive sizes', sizes);
  if (!isPosLists(ratios))
    bad('rpnAspectRatios', 'a non-empty list (one per level) of non-empty lists of positive ratios', ratios);
  if (cfg.rpnAnchorSizes.length !== cfg.rpnAspectRatios.length) {
    bad(
      'rpnAspectRatios',
      `one list per anchor level (${cfg.rpnAnchorSizes.length}, like rpnAnchorSizes)`,
      ratios,
    );
  }
  const perLevel = cfg.rpnAnchorSizes.map((s, i) => s.length * cfg.rpnAspectRatios[i].length);
  if (perLevel.some((n) => n !== perLevel[0])) {
    bad(
      'rpnAnchorSizes',
      'lists giving the same number of anchors per location on every level (RPNHead is shared)',
      sizes,
    );
  }
  for (const f of [
    'rpnPreNmsTopNTrain',
    'rpnPreNmsTopNTest',
    'rpnPostNmsTopNTrain',
    'rpnPostNmsTopNTest',
  ] as const)
    int(f, 1);
  unit('rpnNmsThresh', 0);
  unit('rpnFgIouThresh', 0);
  unit('rpnBgIouThresh', 0);
  if (cfg.rpnBgIouThresh > cfg.rpnFgIouThresh)
    bad('rpnBgIouThresh', `≤ rpnFgIouThresh (${cfg.rpnFgIouThresh})`, cfg.rpnBgIouThresh);
  int('rpnBatchSizePerImage', 1);
  unit('rpnPositiveFraction', 0);
  unit('rpnScoreThresh', 0);
  if (typeof cfg.rpnMinSize !== 'number' || !(cfg.rpnMinSize >= 0))
    bad('rpnMinSize', 'a number ≥ 0', cfg.rpnMinSize);

  const names = cfg.boxRoiPoolFeatmapNames as unknown;
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    bad('boxRoiPoolFeatmapNames', 'a non-empty list of feature names', names);
  }
  int('boxRoiPoolOutputSize', 1);
  int('boxRoiPoolSamplingRatio', 0);
  if (typeof cfg.boxRoiPoolAligned !== 'boolean')
    bad('boxRoiPoolAligned', 'true or false', cfg.boxRoiPoolAligned);
  int('representationSize', 1);
  const convLayers = cfg.boxHeadConvLayers as unknown;
  if (!Array.isArray(convLayers) || convLayers.some((x) => !Number.isInteger(x) || x < 1)) {
    bad('boxHeadConvLayers', 'a list of positive integers (conv widths; [] for TwoMLPHead)', convLayers);
  }
  if (cfg.boxHeadNorm !== 'none' && cfg.boxHeadNorm !== 'batch')
    bad('boxHeadNorm', '"none" or "batch"', cfg.boxHeadNorm);

  unit('boxScoreThresh', 0);
  unit('boxNmsThresh', 0);
  int('boxDetectionsPerImg', 1);
  unit('boxFgIouThresh', 0);
  unit('boxBgIouThresh', 0);
  if (cfg.boxBgIouThresh > cfg.boxFgIouThresh)
    bad('boxBgIouThresh', `≤ boxFgIouThresh (${cfg.boxFgIouThresh})`, cfg.boxBgIouThresh);
  int('boxBatchSizePerImage', 1);
  unit('boxPositiveFraction', 0);
  numList('bboxRegWeights', 4, true);
  if (typeof cfg.boxMinSize !== 'number' || !(cfg.boxMinSize >= 0))
    bad('boxMinSize', 'a number ≥ 0', cfg.boxMinSize);
  posNum('maxSize');
  int('seed', 0);
  return freezeDeep(structuredClone(cfg));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
