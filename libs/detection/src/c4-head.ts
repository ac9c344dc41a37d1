import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@resdet/nn';
import { ResidualBlock, ResNet } from '@resdet/resnet';
import type { Backbone, ShapeSpec } from './backbone';
import type { FeatureMaps } from './fpn';

/**
 * The paper's (and Detectron2's R50-C4) backbone: a ResNet up to layer3 (C4, stride 16). One feature map '0'
 * [N, H/16, W/16, C4 channels]. Children carry torchvision's ResNet names under `body`
 * (`backbone.body.layer3.5.conv3.weight`); layer4 is not part of it — it lives in {@link C4Head}.
 *
 * @example
 * const resnet = buildResNet('resnet50', { norm: 'frozen', includeTop: false, trainableLayers: 3 });
 * const backbone = new ResNetC4Backbone(resnet);
 * const head = new C4Head(resnet);
 */
export class ResNetC4Backbone extends Module implements Backbone {
  readonly sizeDivisibility = 32;
  readonly body: ResNetC4Body;

  constructor(readonly resnet: ResNet) {
    super();
    this.body = this.registerModule('body', new ResNetC4Body(resnet));
  }

  outputShapes(): Map<string, ShapeSpec> {
    return new Map([['0', { channels: this.resnet.stageChannels().layer3, stride: 16 }]]);
  }

  /** x [N, H, W, 3] → '0': C4 [N, H/16, W/16, C]. */
  forward(x: tf.Tensor4D): FeatureMaps {
    return new Map([['0', this.resnet.features(x, ['layer3']).layer3!]]);
  }
}

/** conv1, bn1, layer1..layer3 of a ResNet, registered under torchvision's names (layer4 belongs to the head). */
class ResNetC4Body extends Module {
  constructor(readonly resnet: ResNet) {
    super();
    this.registerModule('conv1', resnet.conv1);
    this.registerModule('bn1', resnet.bn1);
    resnet.stages
      .slice(0, 3)
      .forEach((blocks, s) => blocks.forEach((b, j) => this.registerModule(`layer${s + 1}.${j}`, b)));
  }

  override dispose(): void {
    this.resnet.dispose();
  }
}

/**
 * The C4 box head (Detectron2 `Res5ROIHeads`, the Faster R-CNN paper's ResNet design): ResNet stage 5
 * (`layer4`, its first block strided) on pooled RoI features, then global average pooling.
 * [R, 14, 14, C4] → [R, 7, 7, C5] → [R, C5]. Keys: `roi_heads.box_head.layer4.0.conv1.weight`, … — an
 * ImageNet ResNet's `layer4.*` maps onto them by prefix.
 */
export class C4Head extends Module {
  readonly blocks: readonly ResidualBlock[];
  readonly outChannels: number;

  constructor(resnet: ResNet) {
    super();
    this.blocks = resnet.stages[3];
    this.blocks.forEach((b, j) => this.registerModule(`layer4.${j}`, b));
    this.outChannels = resnet.stageChannels().layer4;
  }

  /** x [R, S, S, C4] → [R, C5]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = this.blocks.reduce<tf.Tensor>((h, b) => b.forward(h), x);
      return tf.mean(y, [1, 2]) as tf.Tensor2D;
    });
  }
}
