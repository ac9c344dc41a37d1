import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  initTorchvisionResNet,
  constantInit,
  Layer,
  Linear,
  MaxPool2d,
  Module,
  Rng,
} from '@resdet/nn';
import { BasicBlock, ResidualBlock } from './basic-block';
import { Bottleneck } from './bottleneck';
import { ConvNorm } from './conv-norm';
import { Downsample } from './downsample';
import { NormFactory, resolveNorm } from './norm';

export type BlockKind = 'basic' | 'bottleneck';
export const STAGE_NAMES = ['layer1', 'layer2', 'layer3', 'layer4'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** C2–C5: outputs of layer1..layer4, NHWC, strides 4/8/16/32 (torchvision IntermediateLayerGetter keys). */
export type ResNetFeatures = Record<StageName, tf.Tensor4D>;

export interface ResNetOptions {
  /** Classifier size; default 1000. */
  numClasses?: number;
  /** Keep `avgpool` + `fc` (classification). false = backbone only (no `fc.*` keys), like torchvision's body. */
  includeTop?: boolean;
  /** 'batch' (default, nn.BatchNorm2d), 'frozen' (FrozenBatchNorm2d) or a factory. */
  norm?: 'batch' | 'frozen' | NormFactory;
  /** torchvision `zero_init_residual`: zero the last BN γ of each residual branch. Default false. */
  zeroInitResidual?: boolean;
  groups?: number;
  /**
   * Stem width; stages use base·[1, 2, 4, 8] planes. 64 in torchvision (the default); smaller values
   * give the narrow nets of the parity fixtures (tools/resnet/make_fixtures.py builds the same with
   * torchvision's own blocks).
   */
  baseChannels?: number;
  /** torchvision `width_per_group`, default 64. */
  widthPerGroup?: number;
  /** torchvision `replace_stride_with_dilation` for layer2..layer4. */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
  /**
   * torchvision `trainable_layers` (0–5) as in `resnet_fpn_backbone`: the last k of
   * [layer4, layer3, layer2, layer1, conv1] stay trainable (k = 5 also bn1); everything else is frozen.
   * Default: all trainable.
   */
  trainableLayers?: number;
  /** Weight init generator (torchvision scheme). Default `new Rng(0)`. */
  rng?: Rng;
  /** Skip random init (all zeros) when a checkpoint will be loaded right after. */
  skipInit?: boolean;
}

/**
 * torchvision's `ResNet`: conv1 7×7/2 → bn1 → ReLU → maxpool 3×3/2 → layer1..layer4 → avgpool → fc.
 * Children and state-dict keys are torchvision's (`conv1`, `bn1`, `layer1.0.conv1`, `layer2.0.downsample.0`,
 * `fc`). Input x [N, H, W, 3] float32 (normalised); `forward` → logits [N, numClasses];
 * `features` → C2–C5 for detection.
 *
 * @example
 * const net = new ResNet('bottleneck', [3, 4, 6, 3], { rng: new Rng(0) }); // resnet50
 * net.eval();
 * const logits = net.forward(tf.zeros([1, 224, 224, 3])); // [1, 1000]
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: Layer;
  readonly maxpool = new MaxPool2d(3, 2, 1);
  readonly stages: ResidualBlock[][];
  readonly fc: Linear | undefined;
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly numFeatures: number;
  private readonly stem: ConvNorm;
  private readonly dilated: [boolean, boolean, boolean];
  private inplanes: number;
  private dilation = 1;

  constructor(
    readonly block: BlockKind,
    readonly layers: readonly [number, number, number, number],
    opts: ResNetOptions = {},
  ) {
    super();
    const norm = resolveNorm(opts.norm);
    const rng = opts.rng ?? new Rng(0);
    const skipInit = opts.skipInit ?? false;
    // Convs start at zero: initTorchvisionResNet draws their kaiming-normal weights below (no double draw).
    const zeroInit = true;
    const rsd = opts.replaceStrideWithDilation ?? [false, false, false];
    this.dilated = [...rsd];
    const shape = { groups: opts.groups ?? 1, baseWidth: opts.widthPerGroup ?? 64, norm, rng, zeroInit };
    const base = opts.baseChannels ?? 64;
    this.inplanes = base;
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(3, base, 7, { stride: 2, padding: 3, bias: false, rng, zeroInit }),
    );
    this.bn1 = this.registerModule('bn1', norm(base));
    this.stem = new ConvNorm(this.conv1, this.bn1);
    const planes = [base, base * 2, base * 4, base * 8];
    this.stages = STAGE_NAMES.map((name, i) => {
      const blocks = this.makeLayer(planes[i], layers[i], i === 0 ? 1 : 2, i > 0 && rsd[i - 1], shape);
      blocks.forEach((b, j) => this.registerModule(`${name}.${j}`, b));
      return blocks;
    });
    this.numFeatures = base * 8 * (block === 'basic' ? BasicBlock.expansion : Bottleneck.expansion);
    if (opts.includeTop ?? true) {
      this.fc = this.registerModule(
        'fc',
        new Linear(this.numFeatures, opts.numClasses ?? 1000, { rng, zeroInit: skipInit }),
      );
    }
    if (!skipInit) {
      initTorchvisionResNet(this, rng);
      if (opts.zeroInitResidual) this.zeroInitResidual();
    }
    if (opts.trainableLayers !== undefined) this.setTrainableLayers(opts.trainableLayers);
  }

  private makeLayer(
    planes: number,
    count: number,
    stride: number,
    dilate: boolean,
    o: { groups: number; baseWidth: number; norm: NormFactory; rng: Rng; zeroInit: boolean },
  ): ResidualBlock[] {
    const expansion = this.block === 'basic' ? BasicBlock.expansion : Bottleneck.expansion;
    const Block = this.block === 'basic' ? BasicBlock : Bottleneck;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    let downsample: Layer | undefined;
    if (stride !== 1 || this.inplanes !== planes * expansion) {
      downsample = new Downsample(
        new Conv2d(this.inplanes, planes * expansion, 1, {
          stride,
          bias: false,
          rng: o.rng,
          zeroInit: o.zeroInit,
        }),
        o.norm(planes * expansion),
      );
    }
    const common = {
      groups: o.groups,
      baseWidth: o.baseWidth,
      norm: o.norm,
      rng: o.rng,
      zeroInit: o.zeroInit,
    };
    const blocks: ResidualBlock[] = [
      new Block(this.inplanes, planes, { ...common, stride, downsample, dilation: previousDilation }),
    ];
    this.inplanes = planes * expansion;
    for (let i = 1; i < count; i++)
      blocks.push(new Block(this.inplanes, planes, { ...common, dilation: this.dilation }));
    return blocks;
  }

  /** Output channels of layer1..layer4 (C2–C5): 64/128/256/512 × expansion for torchvision widths. */
  stageChannels(): Record<StageName, number> {
    const c = this.numFeatures;
    return { layer1: c / 8, layer2: c / 4, layer3: c / 2, layer4: c };
  }

  /** NHWC shapes of C2–C5 for an input [n, h, w, 3] (torch's floor arithmetic at each stride-2 step). */
  outputShapes(n: number, h: number, w: number): Record<StageName, [number, number, number, number]> {
    const down = (v: number) => Math.floor((v - 1) / 2) + 1; // 7×7/2 p3, 3×3/2 p1, 1×1/2 all give this
    const ch = this.stageChannels();
    let [hh, ww] = [down(down(h)), down(down(w))];
    const out = {} as Record<StageName, [number, number, number, number]>;
    STAGE_NAMES.forEach((name, i) => {
      if (i > 0 && !this.dilated[i - 1]) [hh, ww] = [down(hh), down(ww)];
      out[name] = [n, hh, ww, ch[name]];
    });
    return out;
  }

  /** Stem: x [N, H, W, 3] → [N, H/4, W/4, 64] (conv1, bn1, ReLU, maxpool). */
  forwardStem(x: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => this.maxpool.forward(this.stem.forward(x, true))) as tf.Tensor4D;
  }

  /**
   * C2–C5 (layer1..layer4 outputs) for x [N, H, W, 3]. Pass `stages` to return only some of them
   * (torchvision `return_layers`); later stages than the last requested are not computed.
   */
  features(x: tf.Tensor, stages: readonly StageName[] = STAGE_NAMES): Partial<ResNetFeatures> {
    const want = new Set(stages);
    const last = Math.max(...stages.map((s) => STAGE_NAMES.indexOf(s)));
    return tf.tidy(() => {
      const out: Partial<ResNetFeatures> = {};
      let h: tf.Tensor = this.forwardStem(x);
      for (let i = 0; i <= last; i++) {
        h = this.stages[i].reduce<tf.Tensor>((t, b) => b.forward(t), h);
        if (want.has(STAGE_NAMES[i])) out[STAGE_NAMES[i]] = h as tf.Tensor4D;
      }
      return out as Record<string, tf.Tensor>;
    }) as Partial<ResNetFeatures>;
  }

  /** Logits [N, numClasses] for x [N, H, W, 3]. */
  forward(x: tf.Tensor): tf.Tensor2D {
    if (!this.fc) throw new Error('ResNet.forward: built with includeTop=false; use features()');
    const fc = this.fc;
    return tf.tidy(() => {
      const c5 = this.features(x, ['layer4']).layer4!;
      const pooled = tf.reshape(this.avgpool.forward(c5), [x.shape[0], this.numFeatures]);
      return fc.forward(pooled) as tf.Tensor2D;
    });
  }

  /** torchvision `zero_init_residual`: γ of the last norm in every residual branch → 0. */
  zeroInitResidual(): void {
    for (const b of this.stages.flat()) {
      const w = (b.lastNorm as unknown as { weight?: tf.Tensor }).weight;
      if (w instanceof tf.Variable) constantInit(w, 0);
    }
  }

  /** See {@link ResNetOptions.trainableLayers}. */
  setTrainableLayers(k: number): void {
    if (!Number.isInteger(k) || k < 0 || k > 5) throw new Error(`trainableLayers must be 0..5, got ${k}`);
    const train = ['layer4', 'layer3', 'layer2', 'layer1', 'conv1'].slice(0, k);
    if (k === 5) train.push('bn1');
    for (const [name, v] of this.namedParameters()) {
      v.trainable = train.some((p) => name.startsWith(`${p}.`));
    }
  }

  override dispose(): void {
    this.stem.clearCache();
    super.dispose();
  }
}
