import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, ReLU, Sequential } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { BoxCoder } from './box-coder';

/** Per-level RPN outputs, NHWC: objectness [N, H, W, A] logits and deltas [N, H, W, 4A] (anchor-major, dx dy dw dh). */
export interface RpnHeadOutput {
  objectness: tf.Tensor4D[];
  deltas: tf.Tensor4D[];
}

/** The head's outputs for a batch, flattened in torchvision's order (level, location, anchor), with their anchors. */
export interface RpnFlatOutputs {
  /** [N, A] logits, A = Σ Hₗ·Wₗ·anchorsPerLocation. */
  objectness: tf.Tensor2D;
  /** [N, A, 4] deltas (dx, dy, dw, dh), coded by {@link RPN_BOX_CODER}. */
  deltas: tf.Tensor3D;
  /** [A, 4] xyxy anchors (shared by every image; owned by the anchor generator's cache — do not mutate). */
  anchors: Float32Array;
  numAnchorsPerLevel: number[];
}

/** torchvision's RPN codes its deltas with weights (1, 1, 1, 1); targets are encoded and proposals decoded with it. */
export const RPN_BOX_CODER = new BoxCoder([1, 1, 1, 1]);

/**
 * torchvision's `RPNHead` (version 2 names): `convDepth` shared 3×3 conv + ReLU layers (`conv.0.0`, `conv.1.0`, …:
 * Conv2dNormActivation without a norm, inside a Sequential; torchvision's `conv_depth`, 1 by default and 2 in
 * `fasterrcnn_resnet50_fpn_v2`), then 1×1 convs to A objectness logits (`cls_logits`) and 4A box deltas (`bbox_pred`)
 * per location. Every conv is initialised N(0, 0.01²) with zero bias, as torchvision does.
 * Checkpoints with the old key `rpn.head.conv.weight` are upgraded by `@resdet/checkpoint`, not here.
 *
 * @example
 * const head = new RPNHead(256, 3);
 * const { objectness, deltas } = head.forward([p2, p3]); // [N,H,W,3], [N,H,W,12] per level
 */
export class RPNHead extends Module {
  readonly conv: Sequential;
  readonly clsLogits: Conv2d;
  readonly bboxPred: Conv2d;

  constructor(
    readonly inChannels: number,
    readonly numAnchors: number,
    rng: Rng = new Rng(0),
    readonly convDepth = 1,
  ) {
    super();
    if (!Number.isInteger(convDepth) || convDepth < 1) {
      throw new Error(`RPNHead: convDepth must be a positive integer, got ${convDepth}`);
    }
    const convs = Array.from(
      { length: convDepth },
      () => new Conv2d(inChannels, inChannels, 3, { padding: 1, rng }),
    );
    this.conv = this.registerModule(
      'conv',
      new Sequential(convs.map((c) => new Sequential([c, new ReLU()]))),
    );
    this.clsLogits = this.registerModule('cls_logits', new Conv2d(inChannels, numAnchors, 1, { rng }));
    this.bboxPred = this.registerModule('bbox_pred', new Conv2d(inChannels, numAnchors * 4, 1, { rng }));
    for (const conv of [...convs, this.clsLogits, this.bboxPred]) normalInit(conv, 0.01, rng);
  }

  /** features [N, Hᵢ, Wᵢ, C] per level → objectness and deltas per level (same order). */
  forward(features: readonly tf.Tensor4D[]): RpnHeadOutput {
    const objectness: tf.Tensor4D[] = [];
    const deltas: tf.Tensor4D[] = [];
    for (const f of features) {
      const [o, d] = tf.tidy(() => {
        const t = this.conv.forward(f);
        return [this.clsLogits.forward(t) as tf.Tensor4D, this.bboxPred.forward(t) as tf.Tensor4D];
      });
      objectness.push(o);
      deltas.push(d);
    }
    return { objectness, deltas };
  }
}

/** `normal_(weight, std)` and `constant_(bias, 0)` on a conv (weights drawn in torch's OIHW order). */
function normalInit(conv: Conv2d, std: number, rng: Rng): void {
  const [kh, kw, i, o] = conv.weight.shape;
  const w = tf.tidy(() =>
    tf.transpose(tf.tensor4d(rng.normalArray(o * i * kh * kw, 0, std), [o, i, kh, kw]), [2, 3, 1, 0]),
  );
  conv.weight.assign(w);
  w.dispose();
  if (conv.bias) {
    const b = tf.zerosLike(conv.bias);
    conv.bias.assign(b);
    b.dispose();
  }
}
