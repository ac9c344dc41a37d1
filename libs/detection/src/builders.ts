import { FrozenBatchNorm2d, StateDict } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { RESNET_LAYERS, ResNet } from '@resdet/resnet';
import { AnchorGenerator } from './anchor-generator';
import type { Backbone } from './backbone';
import { BackboneWithFPN } from './backbone-with-fpn';
import { BalancedPositiveNegativeSampler } from './balanced-sampler';
import { C4Head, ResNetC4Backbone } from './c4-head';
import { FastRCNNConvFCHead } from './fast-rcnn-conv-fc-head';
import { FastRCNNPredictor } from './fast-rcnn-predictor';
import { ConfigError, FasterRcnnConfig, resolveConfig } from './faster-rcnn.config';
import { GeneralizedRCNN } from './generalized-rcnn';
import type { FgBgSampler } from './balanced-sampler';
import { RegionProposalNetwork } from './region-proposal-network';
import { BoxHead, FeatureRoiPool, RoIHeads } from './roi-heads';
import { RPNHead } from './rpn-head';
import { GeneralizedRCNNTransform } from './transform';
import { TwoMLPHead } from './two-mlp-head';
import { MultiScaleRoIAlign } from './multi-scale-roi-align';

/**
 * The paper's / Detectron2's R50-C4 settings (Detectron2 `Base-RCNN-C4.yaml` + defaults): one stride-16 level
 * with 15 anchors per location, 14×14 RoI pooling from C4 with adaptive sampling (`POOLER_SAMPLING_RATIO: 0`),
 * RPN top-n 12000/2000 (train) and 6000/1000 (test). RoIAlign keeps torchvision's `aligned=False` numerics
 * (Detectron2's ROIAlignV2 uses aligned=True).
 */
const C4_VARIANT: Partial<FasterRcnnConfig> = {
  head: 'c4',
  trainableLayers: 3,
  rpnAnchorSizes: [[32, 64, 128, 256, 512]],
  rpnAspectRatios: [[0.5, 1, 2]],
  rpnPreNmsTopNTrain: 12000,
  rpnPostNmsTopNTrain: 2000,
  rpnPreNmsTopNTest: 6000,
  rpnPostNmsTopNTest: 1000,
  boxRoiPoolFeatmapNames: ['0'],
  boxRoiPoolOutputSize: 14,
  boxRoiPoolSamplingRatio: 0,
};

/**
 * The demo's small detector (trains from scratch on 128×128 shapes images on 2 CPU cores): a ResNet-18-like body
 * of width 16 with trainable BatchNorm, a 64-channel FPN, anchors 16–256 (objects are 16–64 px), a 256-wide
 * TwoMLPHead, fewer RPN proposals and 128 sampled RoIs per image (the box head dominates the step time).
 */
const SHAPES_DEMO_VARIANT: Partial<FasterRcnnConfig> = {
  numClasses: 5,
  minSize: 128,
  maxSize: 128,
  backboneDepth: 18,
  backboneWidth: 16,
  backboneNorm: 'batch',
  trainableLayers: 5,
  fpnOutChannels: 64,
  representationSize: 256,
  rpnAnchorSizes: [[16], [32], [64], [128], [256]],
  rpnPreNmsTopNTrain: 1000,
  rpnPostNmsTopNTrain: 500,
  rpnPreNmsTopNTest: 500,
  rpnPostNmsTopNTest: 200,
  boxBatchSizePerImage: 128,
};

/**
 * torchvision's `fasterrcnn_resnet50_fpn_v2` (Li et al. 2021, "Benchmarking Detection Transfer Learning with
 * Vision Transformers"): trainable BatchNorm2d in the ResNet-50 body, BatchNorm2d after every FPN conv, a two-conv
 * RPN head and `FastRCNNConvFCHead` (four 3×3 conv + BatchNorm2d + ReLU, then one 1024-wide fc layer).
 */
const R50_FPN_V2_VARIANT: Partial<FasterRcnnConfig> = {
  backboneNorm: 'batch',
  fpnNorm: 'batch',
  rpnConvDepth: 2,
  boxHeadConvLayers: [256, 256, 256, 256],
  boxHeadNorm: 'batch',
};

/** Model-zoo architectures and the config each one starts from (over FASTER_RCNN_DEFAULTS). */
export const ARCH_VARIANTS = Object.freeze({
  fasterrcnn_resnet50_fpn: {},
  fasterrcnn_resnet50_fpn_v2: R50_FPN_V2_VARIANT,
  fasterrcnn_resnet18_fpn: { backboneDepth: 18 },
  fasterrcnn_resnet50_c4: { ...C4_VARIANT, backboneDepth: 50 },
  fasterrcnn_resnet101_c4: { ...C4_VARIANT, backboneDepth: 101 },
  fasterrcnn_shapes_demo: SHAPES_DEMO_VARIANT,
} satisfies Record<string, Partial<FasterRcnnConfig>>);

export type FasterRcnnArch = keyof typeof ARCH_VARIANTS;
export const FASTER_RCNN_ARCHS = Object.keys(ARCH_VARIANTS) as FasterRcnnArch[];

/** Parts a caller may supply instead of the config's (test doubles, e.g. a sampler replaying fixed draws). */
export interface FasterRcnnPartOverrides {
  rpnSampler?: FgBgSampler;
  boxSampler?: FgBgSampler;
  /** Leave the ResNet body's weights at zero (a checkpoint is loaded right after): much faster for big nets. */
  skipBackboneInit?: boolean;
}

/**
 * Assembles a Faster R-CNN from a resolved config: ResNet body (FPN or C4), anchors, RPN, RoI pooling, box head,
 * predictor and transform — the only place concrete parts are chosen. Weights are random (seeded by
 * `cfg.seed`): torchvision's init schemes per part.
 */
export function buildFasterRcnn(
  config: Readonly<FasterRcnnConfig>,
  parts: FasterRcnnPartOverrides = {},
): GeneralizedRCNN {
  const cfg = config;
  // FPN: '0'–'3' + 'pool'; C4: '0'. Checked before anything big is allocated.
  const numLevels = cfg.head === 'fpn' ? 5 : 1;
  if (cfg.rpnAnchorSizes.length !== numLevels) {
    throw new ConfigError(
      `rpnAnchorSizes has ${cfg.rpnAnchorSizes.length} levels but the ${cfg.head} backbone gives ${numLevels} feature maps`,
    );
  }
  if (cfg.boxRoiPoolAligned) {
    throw new ConfigError(
      'boxRoiPoolAligned: true is not supported yet (MultiScaleRoIAlign implements aligned=False)',
    );
  }
  if (cfg.head === 'c4' && (cfg.fpnNorm !== 'none' || cfg.boxHeadConvLayers.length > 0)) {
    throw new ConfigError(
      'fpnNorm and boxHeadConvLayers apply to the FPN head only (head: "c4" has neither)',
    );
  }
  const rng = new Rng(cfg.seed);
  const standard = RESNET_LAYERS[cfg.backboneDepth];
  const layers = [...(cfg.backboneLayers ?? standard.layers)] as [number, number, number, number];
  const resnet = new ResNet(standard.block, layers, {
    includeTop: false,
    norm:
      cfg.backboneNorm === 'frozen'
        ? (c: number) => new FrozenBatchNorm2d(c, { eps: cfg.frozenBnEps })
        : 'batch',
    baseChannels: cfg.backboneWidth,
    trainableLayers: cfg.trainableLayers,
    rng: rng.fork(1),
    skipInit: parts.skipBackboneInit ?? false,
  });
  let backbone: Backbone;
  let boxHead: BoxHead & { outChannels: number };
  if (cfg.head === 'fpn') {
    backbone = new BackboneWithFPN(resnet, cfg.fpnOutChannels, { rng: rng.fork(2), fpnNorm: cfg.fpnNorm });
    const s = cfg.boxRoiPoolOutputSize;
    boxHead =
      cfg.boxHeadConvLayers.length === 0
        ? new TwoMLPHead(cfg.fpnOutChannels, s, cfg.representationSize, rng.fork(3))
        : new FastRCNNConvFCHead(cfg.fpnOutChannels, s, {
            convLayers: cfg.boxHeadConvLayers,
            fcLayers: [cfg.representationSize],
            norm: cfg.boxHeadNorm,
            rng: rng.fork(3),
          });
  } else {
    backbone = new ResNetC4Backbone(resnet);
    boxHead = new C4Head(resnet);
  }
  const shapes = backbone.outputShapes();
  const levels = [...shapes.keys()];
  for (const name of cfg.boxRoiPoolFeatmapNames) {
    if (!shapes.has(name))
      throw new ConfigError(
        `boxRoiPoolFeatmapNames: "${name}" is not a backbone output (${levels.join(', ')})`,
      );
  }
  const anchorGenerator = new AnchorGenerator(cfg.rpnAnchorSizes, cfg.rpnAspectRatios);
  const channels = shapes.get(levels[0])!.channels;
  const rpn = new RegionProposalNetwork({
    anchorGenerator,
    head: new RPNHead(channels, anchorGenerator.numAnchorsPerLocation()[0], rng.fork(4), cfg.rpnConvDepth),
    fgIouThresh: cfg.rpnFgIouThresh,
    bgIouThresh: cfg.rpnBgIouThresh,
    sampler:
      parts.rpnSampler ??
      new BalancedPositiveNegativeSampler(cfg.rpnBatchSizePerImage, cfg.rpnPositiveFraction, rng.fork(5)),
    preNmsTopN: { training: cfg.rpnPreNmsTopNTrain, testing: cfg.rpnPreNmsTopNTest },
    postNmsTopN: { training: cfg.rpnPostNmsTopNTrain, testing: cfg.rpnPostNmsTopNTest },
    nmsThresh: cfg.rpnNmsThresh,
    scoreThresh: cfg.rpnScoreThresh,
    minSize: cfg.rpnMinSize,
  });
  const roiHeads = new RoIHeads({
    boxRoiPool: new FeatureRoiPool(
      cfg.boxRoiPoolFeatmapNames,
      new MultiScaleRoIAlign({
        outputSize: cfg.boxRoiPoolOutputSize,
        samplingRatio: cfg.boxRoiPoolSamplingRatio,
      }),
    ),
    boxHead,
    boxPredictor: new FastRCNNPredictor(boxHead.outChannels, cfg.numClasses, rng.fork(6)),
    fgIouThresh: cfg.boxFgIouThresh,
    bgIouThresh: cfg.boxBgIouThresh,
    sampler:
      parts.boxSampler ??
      new BalancedPositiveNegativeSampler(cfg.boxBatchSizePerImage, cfg.boxPositiveFraction, rng.fork(7)),
    bboxRegWeights: cfg.bboxRegWeights,
    scoreThresh: cfg.boxScoreThresh,
    nmsThresh: cfg.boxNmsThresh,
    detectionsPerImg: cfg.boxDetectionsPerImg,
    minSize: cfg.boxMinSize,
  });
  const transform = new GeneralizedRCNNTransform({
    minSize: cfg.minSize,
    maxSize: cfg.maxSize,
    imageMean: cfg.imageMean,
    imageStd: cfg.imageStd,
    sizeDivisible: cfg.sizeDivisible,
  });
  return new GeneralizedRCNN({ backbone, rpn, roiHeads, transform, rng: rng.fork(8) });
}

/** torchvision `fasterrcnn_resnet50_fpn` (weights=None): ResNet-50 + FPN, FrozenBN, 3 trainable stages. */
export function fasterrcnnResnet50Fpn(
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  return buildFasterRcnn(resolveConfig({ ...ARCH_VARIANTS.fasterrcnn_resnet50_fpn, ...overrides }), parts);
}

/** torchvision `fasterrcnn_resnet50_fpn_v2` (weights=None): see R50_FPN_V2_VARIANT. */
export function fasterrcnnResnet50FpnV2(
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  return buildFasterRcnn(resolveConfig({ ...ARCH_VARIANTS.fasterrcnn_resnet50_fpn_v2, ...overrides }), parts);
}

/** `FasterRCNN(resnet_fpn_backbone('resnet18'))`: ResNet-18 + FPN (same keys as torchvision's). */
export function fasterrcnnResnet18Fpn(
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  return buildFasterRcnn(resolveConfig({ ...ARCH_VARIANTS.fasterrcnn_resnet18_fpn, ...overrides }), parts);
}

/** The paper's ResNet-50-C4 Faster R-CNN (Detectron2 R50-C4 settings; layer4 is the box head). */
export function fasterrcnnResnet50C4(
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  return buildFasterRcnn(resolveConfig({ ...ARCH_VARIANTS.fasterrcnn_resnet50_c4, ...overrides }), parts);
}

/** ResNet-101-C4, as {@link fasterrcnnResnet50C4}. */
export function fasterrcnnResnet101C4(
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  return buildFasterRcnn(resolveConfig({ ...ARCH_VARIANTS.fasterrcnn_resnet101_c4, ...overrides }), parts);
}

/** The shapes demo's small FPN detector (see SHAPES_DEMO_VARIANT). */
export function fasterrcnnShapesDemo(
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  return buildFasterRcnn(resolveConfig({ ...ARCH_VARIANTS.fasterrcnn_shapes_demo, ...overrides }), parts);
}

/** Resolves an architecture name + overrides into a validated config (throws listing valid names). */
export function resolveArchConfig(
  arch: string,
  overrides: Partial<FasterRcnnConfig> = {},
  source?: string,
): Readonly<FasterRcnnConfig> {
  const variant = (ARCH_VARIANTS as Record<string, Partial<FasterRcnnConfig>>)[arch];
  if (!variant)
    throw new ConfigError(
      `${source ? `${source}: ` : ''}unknown arch "${arch}"; valid: ${FASTER_RCNN_ARCHS.join(', ')}`,
    );
  return resolveConfig({ ...variant, ...overrides }, source);
}

/** The one place an architecture name becomes a model. Throws listing the valid names. */
export function buildDetector(
  arch: string,
  overrides: Partial<FasterRcnnConfig> = {},
  parts?: FasterRcnnPartOverrides,
): GeneralizedRCNN {
  switch (arch) {
    case 'fasterrcnn_resnet50_fpn':
      return fasterrcnnResnet50Fpn(overrides, parts);
    case 'fasterrcnn_resnet50_fpn_v2':
      return fasterrcnnResnet50FpnV2(overrides, parts);
    case 'fasterrcnn_resnet18_fpn':
      return fasterrcnnResnet18Fpn(overrides, parts);
    case 'fasterrcnn_resnet50_c4':
      return fasterrcnnResnet50C4(overrides, parts);
    case 'fasterrcnn_resnet101_c4':
      return fasterrcnnResnet101C4(overrides, parts);
    case 'fasterrcnn_shapes_demo':
      return fasterrcnnShapesDemo(overrides, parts);
    default:
      throw new ConfigError(`unknown arch "${arch}"; valid: ${FASTER_RCNN_ARCHS.join(', ')}`);
  }
}

/** Number of classes (incl. background) of a checkpoint, from `roi_heads.box_predictor.cls_score.weight` [K, F]. */
export function inferNumClasses(sd: StateDict, source = 'checkpoint'): number {
  const w = sd.get('roi_heads.box_predictor.cls_score.weight');
  if (!w)
    throw new ConfigError(
      `${source}: no roi_heads.box_predictor.cls_score.weight, cannot infer the number of classes (pass --num-classes)`,
    );
  if (w.shape.length !== 2)
    throw new ConfigError(
      `${source}: roi_heads.box_predictor.cls_score.weight is [${w.shape}], expected [numClasses, features]`,
    );
  return w.shape[0];
}

/** A parsed `configs/*.json` model file: architecture, resolved config and class names (index = label). */
export interface DetectorConfigFile {
  arch: FasterRcnnArch;
  config: Readonly<FasterRcnnConfig>;
  /** Class names, `classes[0]` the background; undefined when the file has none. */
  classes?: string[];
}

/**
 * Validates a model config file's JSON (`{arch, model?: {…FasterRcnnConfig overrides}, classes?: [...]}`; other
 * top-level sections such as `train` belong to other libs and are ignored). Errors name `source` and the field.
 */
export function parseDetectorConfig(json: unknown, source: string): DetectorConfigFile {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError(`${source}: must be a JSON object`);
  const o = json as { arch?: unknown; model?: unknown; classes?: unknown };
  if (typeof o.arch !== 'string')
    throw new ConfigError(
      `${source}: arch must be one of ${FASTER_RCNN_ARCHS.join(', ')}, got ${JSON.stringify(o.arch)}`,
    );
  if (o.model !== undefined && (typeof o.model !== 'object' || o.model === null || Array.isArray(o.model))) {
    throw new ConfigError(`${source}: model must be an object of FasterRcnnConfig fields`);
  }
  const config = resolveArchConfig(o.arch, (o.model ?? {}) as Partial<FasterRcnnConfig>, source);
  let classes: string[] | undefined;
  if (o.classes !== undefined) {
    if (!Array.isArray(o.classes) || o.classes.some((c) => typeof c !== 'string')) {
      throw new ConfigError(`${source}: classes must be a list of names`);
    }
    if (o.classes.length !== config.numClasses) {
      throw new ConfigError(
        `${source}: classes has ${o.classes.length} names but model.numClasses is ${config.numClasses} (background included)`,
      );
    }
    classes = [...(o.classes as string[])];
  }
  return { arch: o.arch as FasterRcnnArch, config, classes };
}
