import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, initTorchvisionResNet, Layer, Linear, Module } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { ConvNorm } from './conv-norm';
import { Downsample } from './downsample';

/** Shortcut of the CIFAR nets (He et al. 2016, §4.2): A zero-pad identity, B projection, none = plain net. */
export type CifarShortcut = 'A' | 'B' | 'none';

/**
 * The CIFAR-10 basic block: conv3×3(stride) → BN → ReLU → conv3×3 → BN, + shortcut, → ReLU.
 * Option A: identity, subsampled x[:, ::2, ::2] when strided and zero-padded with (out − in)/2 channels
 * on each side (the common reading of the paper); B: 1×1 conv + BN (`shortcut.0/1`) when the shape
 * changes, else identity; 'none': no shortcut (the paper's plain nets).
 */
export class CifarBlock extends Module implements Layer {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly projection: Downsample | undefined;
  private readonly steps: [ConvNorm, ConvNorm];

  constructor(
    readonly inPlanes: number,
    readonly planes: number,
    readonly stride: number,
    readonly shortcut: CifarShortcut,
    rng: Rng,
  ) {
    super();
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, rng, zeroInit: true }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d(planes, planes, 3, { padding: 1, bias: false, rng, zeroInit: true }),
    );
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    if (shortcut === 'B' && (stride !== 1 || inPlanes !== planes)) {
      this.projection = this.registerModule(
        'shortcut',
        new Downsample(
          new Conv2d(inPlanes, planes, 1, { stride, bias: false, rng, zeroInit: true }),
          new BatchNorm2d(planes),
        ),
      );
    }
    this.steps = [new ConvNorm(this.conv1, this.bn1), new ConvNorm(this.conv2, this.bn2)];
  }

  /** x [N, H, W, inPlanes] → [N, H/stride, W/stride, planes]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.steps[1].forward(this.steps[0].forward(x, true), false);
      if (this.shortcut === 'none') return tf.relu(out);
      return tf.relu(tf.add(out, this.identity(x)));
    });
  }

  private identity(x: tf.Tensor): tf.Tensor {
    if (this.projection) return this.projection.forward(x);
    let s = x as tf.Tensor4D;
    if (this.stride !== 1) {
      const [n, h, w, c] = s.shape;
      s = tf.stridedSlice(s, [0, 0, 0, 0], [n, h, w, c], [1, this.stride, this.stride, 1]) as tf.Tensor4D;
    }
    const extra = this.planes - this.inPlanes;
    if (extra > 0)
      s = tf.pad(s, [
        [0, 0],
        [0, 0],
        [0, 0],
        [Math.floor(extra / 2), extra - Math.floor(extra / 2)],
      ]);
    return s;
  }

  override dispose(): void {
    for (const s of this.steps) s.clearCache();
    super.dispose();
  }
}

export interface CifarResNetOptions {
  /** Default 'A' (the paper's CIFAR choice). */
  shortcut?: CifarShortcut;
  numClasses?: number;
  rng?: Rng;
}

/**
 * The paper's CIFAR-10 ResNet-(6n+2): conv3×3 16 → BN → ReLU → 3 stages of n blocks with 16/32/64
 * filters (strides 1/2/2) → global average pool → fc. x [N, 32, 32, 3] → logits [N, numClasses].
 * Children `conv1, bn1, layer1.0…, layer3.{n−1}, fc`. Convs kaiming-normal (fan_out), BN 1/0.
 *
 * @example
 * const net = cifarResNet(20);                         // ResNet-20, option A, 0.27 M params
 * const plain = cifarResNet(56, { shortcut: 'none' }); // plain-56
 */
export class CifarResNet extends Module implements Layer {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly blocks: CifarBlock[];
  readonly fc: Linear;
  private readonly stem: ConvNorm;

  constructor(
    readonly depth: number,
    opts: CifarResNetOptions = {},
  ) {
    super();
    if ((depth - 2) % 6 !== 0 || depth < 8)
      throw new Error(`CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110), got ${depth}`);
    const n = (depth - 2) / 6;
    const rng = opts.rng ?? new Rng(0);
    const shortcut = opts.shortcut ?? 'A';
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(3, 16, 3, { padding: 1, bias: false, rng, zeroInit: true }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(16));
    this.stem = new ConvNorm(this.conv1, this.bn1);
    this.blocks = [];
    let inPlanes = 16;
    [16, 32, 64].forEach((planes, stage) => {
      for (let i = 0; i < n; i++) {
        const b = new CifarBlock(inPlanes, planes, i === 0 && stage > 0 ? 2 : 1, shortcut, rng);
        this.blocks.push(this.registerModule(`layer${stage + 1}.${i}`, b));
        inPlanes = planes;
      }
    });
    this.fc = this.registerModule('fc', new Linear(64, opts.numClasses ?? 10, { rng }));
    initTorchvisionResNet(this, rng);
  }

  /** x [N, H, W, 3] → logits [N, numClasses]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.blocks.reduce<tf.Tensor>((t, b) => b.forward(t), this.stem.forward(x, true));
      return this.fc.forward(tf.mean(h, [1, 2]));
    });
  }

  override dispose(): void {
    this.stem.clearCache();
    super.dispose();
  }
}

export const CIFAR_DEPTHS = [20, 32, 44, 56, 110] as const;

/** ResNet-20/32/44/56/110 (or plain-N with `shortcut: 'none'`). */
export function cifarResNet(depth: number, opts: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(depth, opts);
}
