import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { ResNet, STAGE_NAMES, StageName } from '@resdet/resnet';
import type { Backbone, ShapeSpec } from './backbone';
import { FeatureMaps, FeaturePyramidNetwork } from './fpn';

/**
 * torchvision's `BackboneWithFPN` over a ResNet body (`_resnet_fpn_extractor`): the ResNet's layer1..layer4
 * outputs (C2–C5, strides 4–32; torchvision's `return_layers` names them '0'..'3') go through a
 * FeaturePyramidNetwork with LastLevelMaxPool (its convs followed by BatchNorm2d with `fpnNorm: 'batch'`,
 * torchvision's `norm_layer`), giving '0', '1', '2', '3', 'pool' (strides 4–64), each
 * [N, H/stride, W/stride, outChannels]. Children: `body` (the ResNet without `fc`) and `fpn`, so keys read
 * `backbone.body.layer1.0.conv1.weight` and `backbone.fpn.inner_blocks.0.0.weight` under a detector.
 *
 * @example
 * const body = buildResNet('resnet50', { norm: 'frozen', includeTop: false, trainableLayers: 3 });
 * const backbone = new BackboneWithFPN(body, 256);
 * const feats = backbone.forward(images); // Map '0' → [N, H/4, W/4, 256], …, 'pool' → [N, H/64, W/64, 256]
 */
export class BackboneWithFPN extends Module implements Backbone {
  readonly body: ResNet;
  readonly fpn: FeaturePyramidNetwork;
  readonly sizeDivisibility = 32;
  readonly returnedStages: readonly StageName[];

  constructor(
    body: ResNet,
    readonly outChannels = 256,
    opts: { returnedLayers?: readonly number[]; rng?: Rng; fpnNorm?: 'none' | 'batch' } = {},
  ) {
    super();
    if (body.fc)
      throw new Error('BackboneWithFPN: build the ResNet body with includeTop: false (no fc keys)');
    const returned = opts.returnedLayers ?? [1, 2, 3, 4];
    if (returned.some((l) => !Number.isInteger(l) || l < 1 || l > 4)) {
      throw new Error(`BackboneWithFPN: returnedLayers must be in 1..4, got [${returned}]`);
    }
    this.returnedStages = returned.map((l) => STAGE_NAMES[l - 1]);
    const channels = body.stageChannels();
    this.body = this.registerModule('body', body);
    this.fpn = this.registerModule(
      'fpn',
      new FeaturePyramidNetwork(
        this.returnedStages.map((s) => channels[s]),
        outChannels,
        { rng: opts.rng, norm: opts.fpnNorm },
      ),
    );
  }

  outputShapes(): Map<string, ShapeSpec> {
    const names = this.fpn.outputNames(this.returnedStages.map((_, i) => String(i)));
    const strides = this.returnedStages.map((s) => 4 * 2 ** STAGE_NAMES.indexOf(s));
    if (this.fpn.lastLevelMaxPool) strides.push(strides[strides.length - 1] * 2);
    return new Map(names.map((n, i) => [n, { channels: this.outChannels, stride: strides[i] }]));
  }

  /** x [N, H, W, 3] (normalised, padded) → FPN maps '0'…'3', 'pool'. */
  forward(x: tf.Tensor4D): FeatureMaps {
    const c = this.body.features(x, this.returnedStages);
    const inputs: FeatureMaps = new Map(this.returnedStages.map((s, i) => [String(i), c[s]!]));
    try {
      return this.fpn.forward(inputs);
    } finally {
      tf.dispose([...inputs.values()]);
    }
  }
}
