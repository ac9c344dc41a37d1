import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from './batch-norm2d';
import { Conv2d } from './conv2d';
import { kaimingNormalFanOutArray } from './init-arrays';
import type { Module } from './module';
import { Rng } from '@resdet/random';

/**
 * Module-level init schemes (torch.nn.init / torchvision), driven by a seeded {@link Rng}.
 */

/**
 * Re-initialises a conv weight (HWIO) with kaiming normal, mode fan_out, relu gain, as torchvision's
 * ResNet does: std = √(2 / (outChannels·kH·kW)).
 */
export function kaimingNormalFanOut(conv: Conv2d, rng: Rng): void {
  const [kh, kw, i, o] = conv.weight.shape;
  const fanOut = o * kh * kw;
  const oihw = kaimingNormalFanOutArray(o * i * kh * kw, fanOut, rng);
  const v = tf.tidy(() => tf.transpose(tf.tensor4d(oihw, [o, i, kh, kw]), [2, 3, 1, 0]));
  conv.weight.assign(v);
  v.dispose();
}

/** Sets a tensor-valued parameter or buffer-backed variable to a constant. */
export function constantInit(v: tf.Variable, value: number): void {
  const t = tf.fill(v.shape, value);
  v.assign(t);
  t.dispose();
}

/**
 * torchvision `ResNet.__init__` weight init over a module tree: every `Conv2d` gets kaiming normal
 * (fan_out, relu); every `BatchNorm2d` gets weight 1, bias 0.
 * Linear layers keep torch's default init. Modules are visited in registration order, like
 * `self.modules()`, so a seed is reproducible. (`FrozenBatchNorm2d` has buffers, not parameters, and
 * is left alone, as in torchvision.)
 */
export function initTorchvisionResNet(root: Module, rng: Rng): void {
  for (const [, m] of root.namedModules()) {
    if (m instanceof Conv2d) kaimingNormalFanOut(m, rng);
    else if (m instanceof BatchNorm2d) {
      constantInit(m.weight, 1);
      constantInit(m.bias, 0);
    }
  }
}
