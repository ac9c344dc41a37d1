import * as tf from '@tensorflow/tfjs-core';
import { CONV_WEIGHT_LAYOUT } from './layouts';
import { Module } from './module';
import { Rng } from '@resdet/random';
import { kaimingUniformArray } from './init-arrays';

export type Pair = number | [number, number];

export interface Conv2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** Explicit zero padding on each side (torch semantics, not SAME). Default 0. */
  padding?: Pair;
  /** Default 1. */
  dilation?: Pair;
  /** Default 1; `inChannels` and `outChannels` must both divide by it. */
  groups?: number;
  /** Default true, as in torch. */
  bias?: boolean;
  /** Generator for torch's default init (kaiming uniform a=√5); default `new Rng(0)`. */
  rng?: Rng;
  /** Start from zeros instead of drawing random weights (when a checkpoint will be loaded). */
  zeroInit?: boolean;
}

/** Activation fused into the convolution by {@link Conv2d.forward}'s fast path. */
export type FusedActivation = 'linear' | 'relu';

export function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * 2-D convolution with torch semantics on NHWC float32 tensors: `x` [N, H, W, inChannels] →
 * [N, H', W', outChannels] with `H' = floor((H + 2·padH − dilH·(kH−1) − 1) / strideH) + 1`.
 * Weights live as HWIO (`[kH, kW, inChannels/groups, outChannels]`) and appear as torch's OIHW
 * `weight` in state dicts; `bias` is [outChannels]. Initialised like `torch.nn.Conv2d`
 * (kaiming uniform, a = √5).
 *
 * @example
 * const conv = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false, rng: new Rng(0) });
 * conv.forward(tf.zeros([1, 224, 224, 3])).shape; // [1, 112, 112, 64]
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: Conv2dOptions = {},
  ) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    if (this.stride.some((s) => s > 1) && this.dilation.some((d) => d > 1)) {
      throw new Error(
        `Conv2d: stride ${this.stride} with dilation ${this.dilation} is not supported by tfjs`,
      );
    }
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv2d: channels ${inChannels}→${outChannels} do not divide by groups=${this.groups}`);
    }
    const rng = opts.rng ?? new Rng(0);
    const [kh, kw] = this.kernelSize;
    const inPerGroup = inChannels / this.groups;
    const fanIn = inPerGroup * kh * kw;
    // torch draws OIHW; we draw in that order and transpose so a seed gives torch-shaped streams.
    const init = opts.zeroInit
      ? tf.zeros([kh, kw, inPerGroup, outChannels])
      : tf.tidy(() =>
          CONV_WEIGHT_LAYOUT.fromTorch(
            tf.tensor4d(kaimingUniformArray(outChannels * fanIn, fanIn, rng), [
              outChannels,
              inPerGroup,
              kh,
              kw,
            ]),
          ),
        );
    this.weight = this.registerParameter('weight', init, { layout: CONV_WEIGHT_LAYOUT });
    if (opts.bias ?? true) {
      const bound = 1 / Math.sqrt(fanIn);
      const b = opts.zeroInit
        ? new Float32Array(outChannels)
        : Float32Array.from({ length: outChannels }, () => rng.range(-bound, bound));
      this.bias = this.registerParameter('bias', tf.tensor1d(b));
    }
  }

  /** x [N, H, W, inChannels] → [N, H', W', outChannels]. */
  forward(x: tf.Tensor): tf.Tensor {
    return this.forwardWith(x, this.weight, this.bias, 'linear');
  }

  /**
   * The convolution with explicit weights (HWIO), optional bias [outChannels] and a fused activation:
   * used by callers that fold a following BatchNorm into the weights.
   */
  forwardWith(
    x: tf.Tensor,
    weight: tf.Tensor,
    bias: tf.Tensor | undefined,
    activation: FusedActivation,
  ): tf.Tensor {
    return tf.tidy(() => {
      const x4 = x as tf.Tensor4D;
      const w4 = weight as tf.Tensor4D;
      if (this.groups === 1) return this.conv(x4, w4, bias, activation);
      if (this.groups === this.inChannels && this.groups === this.outChannels) {
        // depthwise: HWIO [kh, kw, 1, C] → tfjs depthwise filter [kh, kw, C, 1]
        const dw = tf.reshape(w4, [
          this.kernelSize[0],
          this.kernelSize[1],
          this.inChannels,
          1,
        ]) as tf.Tensor4D;
        const [ph, pw] = this.padding;
        const xp =
          ph === pw
            ? x4
            : tf.pad(x4, [
                [0, 0],
                [ph, ph],
                [pw, pw],
                [0, 0],
              ]);
        return tf.fused.depthwiseConv2d({
          x: xp,
          filter: dw,
          strides: this.stride,
          pad: ph === pw ? ph : 'valid',
          dilations: this.dilation,
          bias,
          activation,
        });
      }
      const xs = tf.split(x4, this.groups, 3);
      const ws = tf.split(w4, this.groups, 3);
      const ys = xs.map((xi, g) => this.conv(xi as tf.Tensor4D, ws[g] as tf.Tensor4D, undefined, 'linear'));
      let y = tf.concat(ys, 3);
      if (bias) y = tf.add(y, bias);
      return activation === 'relu' ? tf.relu(y) : y;
    });
  }

  private conv(
    x: tf.Tensor4D,
    w: tf.Tensor4D,
    bias: tf.Tensor | undefined,
    activation: FusedActivation,
  ): tf.Tensor {
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && this.padding[0] === 0 && this.padding[1] === 0) {
      // 1×1 stride-1 conv is a matmul over pixels.
      const [n, h, wd, c] = x.shape;
      const y = tf.fused.matMul({
        a: tf.reshape(x, [n * h * wd, c]),
        b: tf.reshape(w, [c, w.shape[3]]),
        bias,
        activation,
      });
      return tf.reshape(y, [n, h, wd, w.shape[3]]);
    }
    return tf.fused.conv2d({
      x,
      filter: w,
      strides: this.stride,
      pad: this.explicitPad(),
      dilations: this.dilation,
      bias,
      activation,
    });
  }

  private explicitPad(): number | [[number, number], [number, number], [number, number], [number, number]] {
    const [ph, pw] = this.padding;
    if (ph === pw) return ph;
    return [
      [0, 0],
      [ph, ph],
      [pw, pw],
      [0, 0],
    ];
  }
}
