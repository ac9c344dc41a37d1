import * as tf from '@tensorflow/tfjs-core';
import { Layout } from './module';

/**
 * Conv weights: HWIO inside resdet (what `tf.conv2d` takes), OIHW in torch state dicts.
 * For grouped convs the I axis is `inChannels / groups` in both layouts, as in torch.
 */
export const CONV_WEIGHT_LAYOUT: Layout = {
  torchShape: (s) => [s[3], s[2], s[0], s[1]],
  toTorch: (t) => tf.transpose(t, [3, 2, 0, 1]),
  fromTorch: (t) => tf.transpose(t, [2, 3, 1, 0]),
};

/**
 * Linear weights: [in, out] inside resdet, so the forward pass is a plain `x·W` (tfjs-backend-wasm's matMul
 * with transposeB is ~12× slower at detection-head sizes); [out, in] in torch state dicts.
 */
export const LINEAR_WEIGHT_LAYOUT: Layout = {
  torchShape: (s) => [s[1], s[0]],
  toTorch: (t) => tf.transpose(t),
  fromTorch: (t) => tf.transpose(t),
};
