import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  FrozenBatchNorm2d,
  isChannelAffine,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
} from '@resdet/nn';
import { BasicBlock, Bottleneck, ResNet, STAGE_NAMES, StageName } from '@resdet/resnet';
import {
  BackboneWithFPN,
  C4Head,
  FastRCNNConvFCHead,
  FastRCNNPredictor,
  FeaturePyramidNetwork,
  ResNetC4Backbone,
  RPNHead,
  TwoMLPHead,
} from '@resdet/detection';
import { GraphBuilder } from './graph-builder';

/** Per-channel affine map of an inference-mode norm layer, float32 `[C]`. */
export interface HostAffine {
  scale: Float32Array;
  shift: Float32Array;
}

/** Convolution weights ready for ONNX: OIHW `[O, I/groups, kH, kW]` and bias `[O]` (norm already folded in). */
interface OnnxConvWeights {
  weight: string;
  bias: string | undefined;
}

/**
 * Writes resdet modules into an ONNX graph — the second executor of the SAME module objects tfjs runs: each
 * case of the `switch` on the module's class reads that module's parameters and children (torchvision names)
 * and emits the ops its `forward` performs, in NCHW (ONNX's layout; conv weights go OIHW as in torch, Linear
 * weights are already torch's `[out, in]`). Inference semantics: every norm that is a fixed affine map is
 * folded into the preceding convolution (`w' = w·scale`, `b' = b·scale + shift`, float32 like
 * `ConvNorm`'s fold), BatchNorm2d uses its running statistics. Value names are the modules' torchvision paths.
 * Shared modules (the RPN head on every level) get their weights written once.
 *
 * @example
 * const g = new GraphBuilder('resnet');
 * const ex = new ModuleExporter(g, net);
 * const x = g.input('images', OnnxDataType.FLOAT, ['N', 3, 'H', 'W']);
 * const feats = ex.resnetFeatures(net, x, ['layer4']);
 */
export class ModuleExporter {
  private readonly names: Map<Module, string>;
  private readonly convCache = new Map<Conv2d, OnnxConvWeights>();

  constructor(
    readonly g: GraphBuilder,
    root: Module,
    prefix = '',
  ) {
    this.names = new Map(root.namedModules(prefix).map(([n, m]) => [m, n] as [Module, string]));
  }

  /** The torchvision path of a module under the root (or its class name when it is outside the tree). */
  nameOf(m: Module): string {
    return this.names.get(m) || m.constructor.name;
  }

  /**
   * Emits a single-input, single-output module applied to `x` (NCHW for spatial layers, `[R, F]` for Linear);
   * returns the output value name. Throws naming the module path for a class it does not know.
   */
  emit(m: Module, x: string): string {
    const name = this.nameOf(m);
    switch (true) {
      case m instanceof Sequential:
        return this.sequential(m, x);
      case m instanceof Conv2d:
        return this.conv(m, undefined, x, false);
      case m instanceof BatchNorm2d:
      case m instanceof FrozenBatchNorm2d: {
        const a = normAffine(m);
        const c = a.scale.length;
        const y = this.g.node(
          'Mul',
          [x, this.g.initializer(`${name}.scale`, a.scale, [1, c, 1, 1])],
          {},
          `${name}.mul`,
        );
        return this.g.node('Add', [y, this.g.initializer(`${name}.shift`, a.shift, [1, c, 1, 1])], {}, name);
      }
      case m instanceof ReLU:
        return this.g.node('Relu', [x], {}, name);
      case m instanceof MaxPool2d: {
        const p = m.padding;
        return this.g.node(
          'MaxPool',
          [x],
          { kernel_shape: m.kernelSize, strides: m.stride, pads: [p[0], p[1], p[0], p[1]] },
          name,
        );
      }
      case m instanceof AdaptiveAvgPool2d:
        if (m.outputSize[0] !== 1 || m.outputSize[1] !== 1) {
          throw new Error(
            `ONNX export: ${name} AdaptiveAvgPool2d(${m.outputSize}) — only output size 1 is exported`,
          );
        }
        return this.g.node('GlobalAveragePool', [x], {}, name);
      case m instanceof Linear:
        return this.linear(m, x);
      case m instanceof BasicBlock:
        return this.basicBlock(m, x);
      case m instanceof Bottleneck:
        return this.bottleneck(m, x);
      case m instanceof TwoMLPHead:
        return this.twoMlpHead(m, x);
      case m instanceof C4Head:
        return this.c4Head(m, x);
      case m instanceof FastRCNNConvFCHead:
        return this.convFcHead(m, x);
      default:
        throw new Error(`ONNX export: no exporter for ${name} (${m.constructor.name})`);
    }
  }

  /** Children in order; a Conv2d followed by a norm layer becomes one Conv with the norm folded in. */
  private sequential(s: Sequential, x: string): string {
    let h = x;
    for (let i = 0; i < s.layers.length; i++) {
      const m = s.layers[i];
      const next = s.layers[i + 1];
      if (m instanceof Conv2d && next && isNorm(next)) {
        h = this.conv(m, next, h, false);
        i++;
      } else {
        h = this.emit(m, h);
      }
    }
    return h;
  }

  /** conv (+ folded norm) (+ ReLU) on NCHW `x`. */
  conv(conv: Conv2d, norm: Module | undefined, x: string, relu: boolean): string {
    const w = this.convWeights(conv, norm);
    const [ph, pw] = conv.padding;
    const y = this.g.node(
      'Conv',
      w.bias ? [x, w.weight, w.bias] : [x, w.weight],
      {
        kernel_shape: conv.kernelSize,
        strides: conv.stride,
        pads: [ph, pw, ph, pw],
        dilations: conv.dilation,
        group: conv.groups,
      },
      this.nameOf(norm && !relu ? norm : conv),
    );
    return relu ? this.g.node('Relu', [y], {}, `${this.nameOf(conv)}.relu`) : y;
  }

  private convWeights(conv: Conv2d, norm: Module | undefined): OnnxConvWeights {
    const hit = this.convCache.get(conv);
    if (hit) return hit;
    const name = this.nameOf(conv);
    const sd = conv.stateDict();
    const w = sd.get('weight')!; // torch OIHW
    const weight = Float32Array.from(w.data as Float32Array);
    const bias0 = sd.get('bias')?.data as Float32Array | undefined;
    let bias = bias0 && Float32Array.from(bias0);
    if (norm) {
      const { scale, shift } = normAffine(norm);
      const o = conv.outChannels;
      if (scale.length !== o)
        throw new Error(`ONNX export: ${this.nameOf(norm)} has ${scale.length} channels, ${name} gives ${o}`);
      const per = weight.length / o;
      for (let k = 0; k < o; k++) {
        for (let j = k * per; j < (k + 1) * per; j++) weight[j] = Math.fround(weight[j] * scale[k]);
      }
      bias = bias
        ? Float32Array.from(bias, (b, k) => Math.fround(Math.fround(b * scale[k]) + shift[k]))
        : Float32Array.from(shift);
    }
    const out = {
      weight: this.g.initializer(`${name}.weight`, weight, w.shape),
      bias: bias && this.g.initializer(`${name}.bias`, bias, [bias.length]),
    };
    this.convCache.set(conv, out);
    return out;
  }

  /** torch Linear as Gemm(x, W, b, transB=1): `[R, in]` → `[R, out]`. */
  linear(l: Linear, x: string): string {
    const name = this.nameOf(l);
    const sd = l.stateDict();
    const w = this.g.initializer(`${name}.weight`, sd.get('weight')!.data as Float32Array, [
      l.outFeatures,
      l.inFeatures,
    ]);
    const b = sd.get('bias');
    const inputs = b
      ? [x, w, this.g.initializer(`${name}.bias`, b.data as Float32Array, [l.outFeatures])]
      : [x, w];
    return this.g.node('Gemm', inputs, { transB: 1 }, name);
  }

  private basicBlock(b: BasicBlock, x: string): string {
    const identity = b.downsample ? this.emit(b.downsample, x) : x;
    const h = this.conv(b.conv1, b.bn1, x, true);
    const out = this.conv(b.conv2, b.bn2, h, false);
    return this.residual(b, out, identity);
  }

  private bottleneck(b: Bottleneck, x: string): string {
    const identity = b.downsample ? this.emit(b.downsample, x) : x;
    const h1 = this.conv(b.conv1, b.bn1, x, true);
    const h2 = this.conv(b.conv2, b.bn2, h1, true);
    const out = this.conv(b.conv3, b.bn3, h2, false);
    return this.residual(b, out, identity);
  }

  private residual(b: Module, out: string, identity: string): string {
    const name = this.nameOf(b);
    return this.g.node('Relu', [this.g.node('Add', [out, identity], {}, `${name}.add`)], {}, name);
  }

  /** ResNet stem: conv1 + bn1 (folded) + ReLU + maxpool, NCHW `[N, 3, H, W]` → `[N, C, H/4, W/4]`. */
  resnetStem(net: ResNet, x: string): string {
    return this.emit(net.maxpool, this.conv(net.conv1, net.bn1, x, true));
  }

  /** C2–C5 values for `stages` (later stages are not emitted), like `ResNet.features`. */
  resnetFeatures(
    net: ResNet,
    x: string,
    stages: readonly StageName[] = STAGE_NAMES,
  ): Partial<Record<StageName, string>> {
    const last = Math.max(...stages.map((s) => STAGE_NAMES.indexOf(s)));
    const out: Partial<Record<StageName, string>> = {};
    let h = this.resnetStem(net, x);
    for (let i = 0; i <= last; i++) {
      for (const b of net.stages[i]) h = this.emit(b, h);
      if (stages.includes(STAGE_NAMES[i])) out[STAGE_NAMES[i]] = h;
    }
    return out;
  }

  /** `ResNet.forward`: logits `[N, numClasses]`. */
  resnetLogits(net: ResNet, x: string): string {
    if (!net.fc) throw new Error(`ONNX export: ${this.nameOf(net)} has no fc (built with includeTop: false)`);
    const c5 = this.resnetFeatures(net, x, ['layer4']).layer4!;
    const pooled = this.g.node(
      'Flatten',
      [this.emit(net.avgpool, c5)],
      { axis: 1 },
      `${this.nameOf(net.avgpool)}.flat`,
    );
    return this.linear(net.fc, pooled);
  }

  /**
   * torchvision FPN on NCHW inputs (highest resolution first): 1×1 laterals, nearest upsampling to each
   * lateral's size (ONNX Resize, asymmetric/floor = torch's `nearest`), 3×3 outputs, LastLevelMaxPool
   * (MaxPool k=1 s=2). Returns the output values in {@link FeaturePyramidNetwork.outputNames} order.
   */
  fpn(fpn: FeaturePyramidNetwork, xs: readonly string[]): string[] {
    const n = xs.length;
    if (n !== fpn.innerBlocks.length)
      throw new Error(`ONNX export: FPN built for ${fpn.innerBlocks.length} levels, got ${n}`);
    const results: string[] = new Array(n);
    let lastInner = this.emit(fpn.innerBlocks.at(n - 1), xs[n - 1]);
    results[n - 1] = this.emit(fpn.layerBlocks.at(n - 1), lastInner);
    const name = this.nameOf(fpn);
    for (let i = n - 2; i >= 0; i--) {
      const lateral = this.emit(fpn.innerBlocks.at(i), xs[i]);
      const size = this.g.node(
        'Concat',
        [
          this.g.node('Shape', [lastInner], { start: 0, end: 2 }, `${name}.nc_${i}`),
          this.g.node('Shape', [lateral], { start: 2, end: 4 }, `${name}.hw_${i}`),
        ],
        { axis: 0 },
        `${name}.size_${i}`,
      );
      const topDown = this.g.node(
        'Resize',
        [lastInner, '', '', size],
        { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
        `${name}.upsample_${i}`,
      );
      lastInner = this.g.node('Add', [lateral, topDown], {}, `${name}.merge_${i}`);
      results[i] = this.emit(fpn.layerBlocks.at(i), lastInner);
    }
    if (fpn.lastLevelMaxPool) {
      results.push(
        this.g.node('MaxPool', [results[n - 1]], { kernel_shape: [1, 1], strides: [2, 2] }, `${name}.pool`),
      );
    }
    return results;
  }

  /** A detection backbone → its named NCHW feature maps (same names and order as its `forward`). */
  backbone(b: Module, x: string): Map<string, string> {
    if (b instanceof BackboneWithFPN) {
      const c = this.resnetFeatures(b.body, x, b.returnedStages);
      const outs = this.fpn(
        b.fpn,
        b.returnedStages.map((s) => c[s]!),
      );
      const names = b.fpn.outputNames(b.returnedStages.map((_, i) => String(i)));
      return new Map(names.map((nm, i) => [nm, outs[i]]));
    }
    if (b instanceof ResNetC4Backbone) {
      return new Map([['0', this.resnetFeatures(b.resnet, x, ['layer3']).layer3!]]);
    }
    throw new Error(`ONNX export: no exporter for backbone ${this.nameOf(b)} (${b.constructor.name})`);
  }

  /**
   * RPN head on every level, flattened in torchvision's order like `concat_box_prediction_layers`: objectness
   * `[N, A]` and deltas `[N, A, 4]` with A = Σ Hₗ·Wₗ·anchors (level, y, x, anchor).
   */
  rpnHead(head: RPNHead, features: readonly string[]): { objectness: string; deltas: string } {
    const name = this.nameOf(head);
    const obj: string[] = [];
    const del: string[] = [];
    features.forEach((f, l) => {
      const t = this.emit(head.conv, f);
      const o = this.conv(head.clsLogits, undefined, t, false);
      const d = this.conv(head.bboxPred, undefined, t, false);
      const oT = this.g.node('Transpose', [o], { perm: [0, 2, 3, 1] }, `${name}.objectness_nhwc_${l}`);
      const dT = this.g.node('Transpose', [d], { perm: [0, 2, 3, 1] }, `${name}.deltas_nhwc_${l}`);
      obj.push(this.g.node('Reshape', [oT, this.g.int64([0, -1])], {}, `${name}.objectness_${l}`));
      del.push(this.g.node('Reshape', [dT, this.g.int64([0, -1, 4])], {}, `${name}.deltas_${l}`));
    });
    return {
      objectness: obj.length === 1 ? obj[0] : this.g.node('Concat', obj, { axis: 1 }, `${name}.objectness`),
      deltas: del.length === 1 ? del[0] : this.g.node('Concat', del, { axis: 1 }, `${name}.deltas`),
    };
  }

  /** TwoMLPHead: NCHW RoI features `[R, C, S, S]` → flatten (torch's C·H·W order) → fc6 → ReLU → fc7 → ReLU. */
  private twoMlpHead(h: TwoMLPHead, x: string): string {
    const name = this.nameOf(h);
    const flat = this.g.node('Flatten', [x], { axis: 1 }, `${name}.flatten`);
    const h6 = this.g.node('Relu', [this.linear(h.fc6, flat)], {}, `${name}.fc6.relu`);
    return this.g.node('Relu', [this.linear(h.fc7, h6)], {}, `${name}.fc7.relu`);
  }

  /**
   * FastRCNNConvFCHead: each conv block (BatchNorm folded into the conv) + ReLU on NCHW `[R, C, S, S]`, flatten
   * (torch's C·H·W order), then Linear + ReLU per fc layer → `[R, outChannels]`.
   */
  private convFcHead(h: FastRCNNConvFCHead, x: string): string {
    const y = h.convs.reduce((v, block) => this.emit(block, v), x);
    const flat = this.g.node('Flatten', [y], { axis: 1 }, `${this.nameOf(h)}.flatten`);
    return h.fcs.reduce(
      (v, fc) => this.g.node('Relu', [this.linear(fc, v)], {}, `${this.nameOf(fc)}.relu`),
      flat,
    );
  }

  /** C4 head: layer4 blocks on `[R, C4, S, S]`, then the spatial mean → `[R, C5]`. */
  private c4Head(h: C4Head, x: string): string {
    const y = h.blocks.reduce((v, b) => this.emit(b, v), x);
    return this.g.node('ReduceMean', [y], { axes: [2, 3], keepdims: 0 }, `${this.nameOf(h)}.mean`);
  }

  /** FastRCNNPredictor on `[R, F]`: class logits `[R, K]` and box deltas `[R, 4K]`. */
  predictor(p: FastRCNNPredictor, x: string): { classLogits: string; boxRegression: string } {
    return { classLogits: this.linear(p.clsScore, x), boxRegression: this.linear(p.bboxPred, x) };
  }
}

function isNorm(m: Module): boolean {
  return m instanceof BatchNorm2d || m instanceof FrozenBatchNorm2d || isChannelAffine(m);
}

/**
 * The inference-mode affine map of a norm layer on the host: `scale = γ·rsqrt(running_var + eps)`,
 * `shift = β − running_mean·scale` in float32 (BatchNorm2d uses its running statistics whatever its mode).
 */
export function normAffine(m: Module): HostAffine {
  if (m instanceof BatchNorm2d || m instanceof FrozenBatchNorm2d) {
    const sd = m.stateDict();
    const get = (k: string) => sd.get(k)!.data as Float32Array;
    const [w, b, mean, v] = [get('weight'), get('bias'), get('running_mean'), get('running_var')];
    const f = Math.fround;
    const scale = Float32Array.from(w, (g, k) => f(g * f(1 / f(Math.sqrt(f(v[k] + m.eps))))));
    const shift = Float32Array.from(b, (beta, k) => f(beta - f(mean[k] * scale[k])));
    return { scale, shift };
  }
  if (isChannelAffine(m)) {
    const a = m.affine();
    if (!a)
      throw new Error(
        `ONNX export: ${m.constructor.name} is not a fixed affine map in its current mode (call eval())`,
      );
    const out = { scale: a.scale.dataSync() as Float32Array, shift: a.shift.dataSync() as Float32Array };
    tf.dispose([a.scale, a.shift]);
    return out;
  }
  throw new Error(`ONNX export: ${m.constructor.name} is not a norm layer`);
}
