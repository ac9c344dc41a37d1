import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@resdet/nn';
import type { FeatureMaps } from './fpn';

/** What a backbone states about one output feature map (Detectron2's `ShapeSpec`). */
export interface ShapeSpec {
  channels: number;
  /** Input pixels per feature cell. */
  stride: number;
}

/**
 * A detection backbone: a Module (registered as `backbone`) mapping a normalised, padded batch
 * [N, H, W, 3] to named NHWC feature maps ordered from the highest resolution. It states each output's
 * channels and stride, and the multiple its input must be padded to, so the RPN and box heads size themselves.
 */
export type Backbone = Module & {
  forward(x: tf.Tensor4D): FeatureMaps;
  /** Output names in order → shape spec. */
  outputShapes(): Map<string, ShapeSpec>;
  /** Input height/width must be a multiple of this (0: any). */
  readonly sizeDivisibility: number;
};
