import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Layer, Module } from '@resdet/nn';
import { BlockOptions, ResidualBlock } from './basic-block';
import { ConvNorm } from './conv-norm';

/**
 * torchvision's `Bottleneck` (ResNet-50/101/152, "ResNet v1.5"): conv1×1 → norm → ReLU →
 * conv3×3(stride, groups, dilation) → norm → ReLU → conv1×1 (×4 channels) → norm, plus the shortcut,
 * then ReLU. The stride sits on the 3×3, as in torchvision. x [N, H, W, inplanes] →
 * [N, H/stride, W/stride, planes·4]. Children `conv1..3, bn1..3, downsample`.
 *
 * @example
 * const b = new Bottleneck(64, 64, { downsample, norm: batchNorm, rng: new Rng(0) });
 */
export class Bottleneck extends Module implements ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: Layer;
  readonly conv2: Conv2d;
  readonly bn2: Layer;
  readonly conv3: Conv2d;
  readonly bn3: Layer;
  readonly downsample: Layer | undefined;
  readonly outChannels: number;
  private readonly steps: ConvNorm[];

  constructor(inplanes: number, planes: number, opts: BlockOptions) {
    super();
    const groups = opts.groups ?? 1;
    const dilation = opts.dilation ?? 1;
    const width = Math.floor(planes * ((opts.baseWidth ?? 64) / 64)) * groups;
    const rng = opts.rng;
    const zeroInit = opts.zeroInit;
    this.conv1 = this.registerModule('conv1', new Conv2d(inplanes, width, 1, { bias: false, rng, zeroInit }));
    this.bn1 = this.registerModule('bn1', opts.norm(width));
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d(width, width, 3, {
        stride: opts.stride ?? 1,
        padding: dilation,
        dilation,
        groups,
        bias: false,
        rng,
        zeroInit,
      }),
    );
    this.bn2 = this.registerModule('bn2', opts.norm(width));
    this.conv3 = this.registerModule(
      'conv3',
      new Conv2d(width, planes * Bottleneck.expansion, 1, { bias: false, rng, zeroInit }),
    );
    this.bn3 = this.registerModule('bn3', opts.norm(planes * Bottleneck.expansion));
    if (opts.downsample) this.downsample = this.registerModule('downsample', opts.downsample);
    this.outChannels = planes * Bottleneck.expansion;
    this.steps = [
      new ConvNorm(this.conv1, this.bn1),
      new ConvNorm(this.conv2, this.bn2),
      new ConvNorm(this.conv3, this.bn3),
    ];
  }

  get lastNorm(): Layer {
    return this.bn3;
  }

  /** x [N, H, W, inplanes] → [N, H', W', planes·4]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const identity = this.downsample ? this.downsample.forward(x) : x;
      const [s1, s2, s3] = this.steps;
      const out = s3.forward(s2.forward(s1.forward(x, true), true), false);
      return tf.relu(tf.add(out, identity));
    });
  }

  override dispose(): void {
    for (const s of this.steps) s.clearCache();
    super.dispose();
  }
}
