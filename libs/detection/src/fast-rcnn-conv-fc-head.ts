import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, kaimingNormalFanOut, Linear, Module, ReLU, Sequential } from '@resdet/nn';
import { Rng } from '@resdet/random';

export interface FastRCNNConvFCHeadOptions {
  /** Output channels of each 3×3 conv (`conv_layers`; `fasterrcnn_resnet50_fpn_v2`: [256, 256, 256, 256]). */
  convLayers: readonly number[];
  /** Width of each fully connected layer (`fc_layers`; v2: [1024]). */
  fcLayers: readonly number[];
  /** `norm_layer`: `'batch'` (v2) puts a BatchNorm2d after every conv and drops the convs' bias. */
  norm: 'none' | 'batch';
  rng?: Rng;
}

/**
 * torchvision's `FastRCNNConvFCHead` (the box head of `fasterrcnn_resnet50_fpn_v2`): 3×3 conv (+ norm) + ReLU
 * per entry of `convLayers` (children '0'…, each `Conv2dNormActivation`: `box_head.0.0.weight`,
 * `box_head.0.1.running_mean`), then `nn.Flatten` (child `convLayers.length`, no parameters), then Linear + ReLU
 * per entry of `fcLayers` (`box_head.5.weight` for four convs). Input [R, S, S, C] NHWC RoI features →
 * [R, fcLayers.at(-1)]; flattened in torch's (C, H, W) order so torchvision's Linear weights load unchanged.
 * Convs start as torchvision's (kaiming normal, fan_out, relu; bias 0), Linear layers as torch's default.
 *
 * @example
 * const head = new FastRCNNConvFCHead(256, 7, { convLayers: [256, 256, 256, 256], fcLayers: [1024], norm: 'batch' });
 * head.stateDict().has('5.weight'); // true ([1024, 12544])
 * head.forward(tf.zeros([512, 7, 7, 256])).shape; // [512, 1024]
 */
export class FastRCNNConvFCHead extends Module {
  /** `Conv2dNormActivation` blocks: [conv, norm?, ReLU] each. */
  readonly convs: readonly Sequential[];
  readonly fcs: readonly Linear[];
  readonly outChannels: number;

  constructor(
    readonly inChannels: number,
    readonly resolution: number,
    opts: FastRCNNConvFCHeadOptions,
  ) {
    super();
    const { convLayers, fcLayers, norm } = opts;
    if (fcLayers.length === 0 || [...convLayers, ...fcLayers].some((c) => !Number.isInteger(c) || c < 1)) {
      throw new Error(
        `FastRCNNConvFCHead: convLayers [${convLayers}] and fcLayers [${fcLayers}] must be positive widths, at least one fc layer`,
      );
    }
    const rng = opts.rng ?? new Rng(0);
    let prev = inChannels;
    this.convs = convLayers.map((c, i) => {
      const conv = new Conv2d(prev, c, 3, { padding: 1, bias: norm === 'none', rng });
      kaimingNormalFanOut(conv, rng);
      prev = c;
      const block = new Sequential(
        norm === 'batch' ? [conv, new BatchNorm2d(c), new ReLU()] : [conv, new ReLU()],
      );
      return this.registerModule(String(i), block);
    });
    // child convLayers.length is nn.Flatten; after it each fc layer is a Linear and a ReLU
    prev *= resolution * resolution;
    this.fcs = fcLayers.map((f, j) => {
      const fc = this.registerModule(String(convLayers.length + 1 + 2 * j), new Linear(prev, f, { rng }));
      prev = f;
      return fc;
    });
    this.outChannels = prev;
  }

  /** x [R, S, S, inChannels] → [R, outChannels]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    const [r, h, w, c] = x.shape;
    if (h !== this.resolution || w !== this.resolution || c !== this.inChannels) {
      throw new Error(
        `FastRCNNConvFCHead: expected RoI features [R, ${this.resolution}, ${this.resolution}, ${this.inChannels}], got [${x.shape}]`,
      );
    }
    return tf.tidy(() => {
      const y = this.convs.reduce((v: tf.Tensor, block) => block.forward(v), x) as tf.Tensor4D;
      const [, , , co] = y.shape;
      let flat: tf.Tensor = tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [r, co * h * w]);
      for (const fc of this.fcs) flat = tf.relu(fc.forward(flat as tf.Tensor2D));
      return flat as tf.Tensor2D;
    });
  }
}
