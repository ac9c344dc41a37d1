import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.memory()` of the server's own thread. With model workers this thread may never start a tensor backend
 * (the model lives in the workers), and tf.memory() would then throw: it holds no tensors, so report zero.
 */
export function serverTfMemory(): { numTensors: number; numBytes: number } {
  return tf.getBackend() ? tf.memory() : { numTensors: 0, numBytes: 0 };
}
