import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';

/** A module with a single-tensor forward pass (every layer in @resdet/nn). */
export interface Forward {
  forward(x: tf.Tensor): tf.Tensor;
}

export type Layer = Module & Forward;

/**
 * `torch.nn.Sequential`: runs its children in order. Children are registered as '0', '1', … so state
 * dict keys match torch (`layer1.0.conv1.weight`, `downsample.1.running_mean`).
 *
 * @example
 * const downsample = new Sequential([new Conv2d(64, 256, 1, { bias: false }), new BatchNorm2d(256)]);
 * downsample.stateDict().has('1.running_var'); // true
 */
export class Sequential extends Module implements Forward {
  readonly layers: readonly Layer[];

  constructor(layers: Layer[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Layer {
    const m = this.layers[i];
    if (!m) throw new Error(`Sequential: index ${i} out of range (length ${this.layers.length})`);
    return m;
  }

  /** Applies every child in order; intermediate tensors are freed. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.layers.reduce((h, m) => m.forward(h), x));
  }
}
