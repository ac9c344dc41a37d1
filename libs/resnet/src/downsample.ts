import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Sequential } from '@resdet/nn';
import { ConvNorm } from './conv-norm';
import { NormLayer } from './norm';

/**
 * torchvision's projection shortcut `downsample = Sequential(conv1x1(inplanes, outplanes, stride),
 * norm(outplanes))`, children `0` and `1`; the norm is folded into the conv when it is affine.
 * x [N, H, W, inplanes] → [N, H/stride, W/stride, outplanes].
 */
export class Downsample extends Sequential {
  private readonly step: ConvNorm;

  constructor(conv: Conv2d, norm: NormLayer) {
    super([conv, norm]);
    this.step = new ConvNorm(conv, norm);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.step.forward(x, false);
  }

  override dispose(): void {
    this.step.clearCache();
    super.dispose();
  }
}
