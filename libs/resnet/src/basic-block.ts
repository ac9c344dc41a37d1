import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Layer, Module } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { ConvNorm } from './conv-norm';
import { NormFactory } from './norm';

export interface BlockOptions {
  stride?: number;
  /** Projection shortcut (`downsample`: 1×1 conv + norm in torchvision), or undefined for identity. */
  downsample?: Layer;
  groups?: number;
  baseWidth?: number;
  dilation?: number;
  norm: NormFactory;
  rng: Rng;
  /** Zero conv weights instead of random init (a checkpoint will be loaded). */
  zeroInit?: boolean;
}

/** A residual block: what `ResNet` stacks. `expansion` = output channels / `planes`. */
export interface ResidualBlock extends Layer {
  readonly outChannels: number;
  /** The last norm of the residual branch (zeroed by `zeroInitResidual`). */
  readonly lastNorm: Layer;
}

/**
 * torchvision's `BasicBlock` (ResNet-18/34): conv3×3(stride) → norm → ReLU → conv3×3 → norm, plus the
 * shortcut, then ReLU. x [N, H, W, inplanes] → [N, H/stride, W/stride, planes]. Children are named
 * `conv1, bn1, conv2, bn2, downsample` as in torchvision.
 *
 * @example
 * const b = new BasicBlock(64, 64, { norm: batchNorm, rng: new Rng(0) });
 */
export class BasicBlock extends Module implements ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: Layer;
  readonly conv2: Conv2d;
  readonly bn2: Layer;
  readonly downsample: Layer | undefined;
  readonly outChannels: number;
  private readonly step1: ConvNorm;
  private readonly step2: ConvNorm;

  constructor(inplanes: number, planes: number, opts: BlockOptions) {
    super();
    if ((opts.groups ?? 1) !== 1 || (opts.baseWidth ?? 64) !== 64) {
      throw new Error('BasicBlock only supports groups=1 and baseWidth=64 (as torchvision)');
    }
    if ((opts.dilation ?? 1) > 1)
      throw new Error('Dilation > 1 not supported in BasicBlock (as torchvision)');
    const stride = opts.stride ?? 1;
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(inplanes, planes, 3, {
        stride,
        padding: 1,
        bias: false,
        rng: opts.rng,
        zeroInit: opts.zeroInit,
      }),
    );
    this.bn1 = this.registerModule('bn1', opts.norm(planes));
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d(planes, planes, 3, { padding: 1, bias: false, rng: opts.rng, zeroInit: opts.zeroInit }),
    );
    this.bn2 = this.registerModule('bn2', opts.norm(planes));
    if (opts.downsample) this.downsample = this.registerModule('downsample', opts.downsample);
    this.outChannels = planes;
    this.step1 = new ConvNorm(this.conv1, this.bn1);
    this.step2 = new ConvNorm(this.conv2, this.bn2);
  }

  get lastNorm(): Layer {
    return this.bn2;
  }

  /** x [N, H, W, inplanes] → [N, H', W', planes]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const identity = this.downsample ? this.downsample.forward(x) : x;
      const out = this.step2.forward(this.step1.forward(x, true), false);
      return tf.relu(tf.add(out, identity));
    });
  }

  override dispose(): void {
    this.step1.clearCache();
    this.step2.clearCache();
    super.dispose();
  }
}
