import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';

/** `torch.nn.ReLU`: elementwise max(x, 0), any shape. No parameters. */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}
