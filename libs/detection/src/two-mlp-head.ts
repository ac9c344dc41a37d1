import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module } from '@resdet/nn';
import { Rng } from '@resdet/random';

/**
 * torchvision's `TwoMLPHead` (the FPN box head): flatten the pooled RoI features, then `fc6` + ReLU and
 * `fc7` + ReLU. Input [R, S, S, C] NHWC RoI features (S = 7 by default) → [R, representationSize].
 * The features are flattened in torch's (C, H, W) order so that torchvision's `fc6.weight`
 * ([representationSize, C·S·S]) loads unchanged.
 *
 * @example
 * const head = new TwoMLPHead(256, 7, 1024);
 * head.forward(tf.zeros([512, 7, 7, 256])).shape; // [512, 1024]
 */
export class TwoMLPHead extends Module {
  readonly fc6: Linear;
  readonly fc7: Linear;
  readonly outChannels: number;

  constructor(
    readonly inChannels: number,
    readonly resolution: number,
    readonly representationSize: number,
    rng: Rng = new Rng(0),
  ) {
    super();
    this.fc6 = this.registerModule(
      'fc6',
      new Linear(inChannels * resolution * resolution, representationSize, { rng }),
    );
    this.fc7 = this.registerModule('fc7', new Linear(representationSize, representationSize, { rng }));
    this.outChannels = representationSize;
  }

  /** x [R, S, S, C] → [R, representationSize]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    const [r, h, w, c] = x.shape;
    if (h !== this.resolution || w !== this.resolution || c !== this.inChannels) {
      throw new Error(
        `TwoMLPHead: expected RoI features [R, ${this.resolution}, ${this.resolution}, ${this.inChannels}], got [${x.shape}]`,
      );
    }
    return tf.tidy(() => {
      const flat = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [r, c * h * w]);
      const h6 = tf.relu(this.fc6.forward(flat));
      return tf.relu(this.fc7.forward(h6)) as tf.Tensor2D;
    });
  }
}
