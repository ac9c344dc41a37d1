import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ModuleList, Sequential } from '@resdet/nn';
import { Rng } from '@resdet/random';

/** Named feature maps, ordered from the highest resolution (NHWC [N, H, W, C] each). */
export type FeatureMaps = Map<string, tf.Tensor4D>;

export interface FeaturePyramidNetworkOptions {
  /** Append LastLevelMaxPool's 'pool' level (torchvision's default for ResNet-FPN). Default true. */
  lastLevelMaxPool?: boolean;
  /** Init generator (kaiming uniform a=1, bias 0, as torchvision). Default `new Rng(0)`. */
  rng?: Rng;
  /**
   * torchvision's `norm_layer`: `'batch'` puts a BatchNorm2d after every conv (`….i.1.*`) and drops the convs'
   * bias, as `Conv2dNormActivation` does (`fasterrcnn_resnet50_fpn_v2`). Default `'none'`.
   */
  norm?: 'none' | 'batch';
}

/**
 * torchvision's `FeaturePyramidNetwork` (0.14) on NHWC features: a 1×1 lateral conv per input level
 * (`inner_blocks.i.0`), top-down nearest upsampling to each lateral's size and addition, then a 3×3 output
 * conv (`layer_blocks.i.0`), each conv followed by BatchNorm2d (`….i.1`) when built with `norm: 'batch'`;
 * optionally `LastLevelMaxPool` adds a 'pool' level (max_pool2d(k=1, s=2) of the last output).
 * Inputs [N, Hᵢ, Wᵢ, inChannelsᵢ] → outputs [N, Hᵢ, Wᵢ, outChannels], same names, plus 'pool'.
 *
 * @example
 * const fpn = new FeaturePyramidNetwork([256, 512, 1024, 2048], 256);
 * fpn.stateDict().has('inner_blocks.0.0.weight'); // true
 * const out = fpn.forward(new Map([['0', c2], ['1', c3], ['2', c4], ['3', c5]])); // keys 0,1,2,3,pool
 */
export class FeaturePyramidNetwork extends Module {
  readonly innerBlocks: ModuleList<Sequential>;
  readonly layerBlocks: ModuleList<Sequential>;
  readonly lastLevelMaxPool: boolean;

  constructor(
    readonly inChannelsList: readonly number[],
    readonly outChannels: number,
    opts: FeaturePyramidNetworkOptions = {},
  ) {
    super();
    if (inChannelsList.length === 0 || inChannelsList.some((c) => !(c > 0))) {
      throw new Error(
        `FeaturePyramidNetwork: inChannelsList must be positive channel counts, got [${inChannelsList}]`,
      );
    }
    const rng = opts.rng ?? new Rng(0);
    this.lastLevelMaxPool = opts.lastLevelMaxPool ?? true;
    const norm = opts.norm ?? 'none';
    // Conv2dNormActivation(activation_layer=None) is a Sequential of the conv (biased only without a norm) and
    // its norm. Every inner block is drawn before the layer blocks (the order of torchvision's init loop).
    this.innerBlocks = this.registerModule(
      'inner_blocks',
      new ModuleList(inChannelsList.map((c) => convNorm(c, outChannels, 1, norm, rng))),
    );
    this.layerBlocks = this.registerModule(
      'layer_blocks',
      new ModuleList(inChannelsList.map(() => convNorm(outChannels, outChannels, 3, norm, rng))),
    );
  }

  /** Feature names this FPN outputs for the given input names (inputs plus 'pool'). */
  outputNames(inputNames: readonly string[]): string[] {
    return this.lastLevelMaxPool ? [...inputNames, 'pool'] : [...inputNames];
  }

  /** features (ordered, highest resolution first) → FPN outputs in the same order, plus 'pool'. */
  forward(features: FeatureMaps): FeatureMaps {
    const names = [...features.keys()];
    const xs = [...features.values()];
    if (xs.length !== this.innerBlocks.length) {
      throw new Error(
        `FeaturePyramidNetwork: got ${xs.length} feature maps, built for ${this.innerBlocks.length}`,
      );
    }
    const outs = tf.tidy(() => {
      const n = xs.length;
      const results: tf.Tensor4D[] = new Array(n);
      let lastInner = this.innerBlocks.at(n - 1).forward(xs[n - 1]) as tf.Tensor4D;
      results[n - 1] = this.layerBlocks.at(n - 1).forward(lastInner) as tf.Tensor4D;
      for (let i = n - 2; i >= 0; i--) {
        const lateral = this.innerBlocks.at(i).forward(xs[i]) as tf.Tensor4D;
        const topDown = upsampleNearest(lastInner, lateral.shape[1], lateral.shape[2]);
        lastInner = tf.add(lateral, topDown);
        results[i] = this.layerBlocks.at(i).forward(lastInner) as tf.Tensor4D;
      }
      if (this.lastLevelMaxPool) results.push(subsample2(results[n - 1]));
      return results;
    });
    const outNames = this.outputNames(names);
    return new Map(outNames.map((name, i) => [name, outs[i]]));
  }
}

function convNorm(inC: number, outC: number, k: number, norm: 'none' | 'batch', rng: Rng): Sequential {
  const conv = fpnConv(inC, outC, k, norm === 'none', rng);
  return new Sequential(norm === 'batch' ? [conv, new BatchNorm2d(outC)] : [conv]);
}

function fpnConv(inC: number, outC: number, k: number, bias: boolean, rng: Rng): Conv2d {
  const conv = new Conv2d(inC, outC, k, { padding: (k - 1) / 2, bias, rng });
  // nn.init.kaiming_uniform_(w, a=1): bound = √(3 / fanIn); bias 0.
  const fanIn = inC * k * k;
  const bound = Math.sqrt(3 / fanIn);
  const w = tf.tidy(() =>
    tf.transpose(
      tf.tensor4d(
        Float32Array.from({ length: outC * fanIn }, () => rng.range(-bound, bound)),
        [outC, inC, k, k],
      ),
      [2, 3, 1, 0],
    ),
  );
  conv.weight.assign(w);
  w.dispose();
  if (conv.bias) {
    const b = tf.zeros([outC]);
    conv.bias.assign(b);
    b.dispose();
  }
  return conv;
}

/**
 * torch's `F.interpolate(x, size=[h, w], mode='nearest')` on NHWC: source index
 * `min(floor(dst · (in/out)), in − 1)` with a float32 scale. Integer factors use a broadcast (cheap, and its
 * gradient is a plain sum); other sizes gather rows then columns.
 */
export function upsampleNearest(x: tf.Tensor4D, outH: number, outW: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (h === outH && w === outW) return x.clone();
  return tf.tidy(() => {
    if (outH % h === 0 && outW % w === 0) {
      const fy = outH / h;
      const fx = outW / w;
      // two rank-4 broadcasts (tfjs's tile gradient stops at rank 4): columns, then rows
      const cols = tf.reshape(tf.broadcastTo(tf.reshape(x, [n * h, w, 1, c]), [n * h, w, fx, c]), [
        n,
        h,
        1,
        outW * c,
      ]);
      return tf.reshape(tf.broadcastTo(cols, [n, h, fy, outW * c]), [n, outH, outW, c]) as tf.Tensor4D;
    }
    const rows = tf.tensor1d(nearestIndex(h, outH), 'int32');
    const cols = tf.tensor1d(nearestIndex(w, outW), 'int32');
    return tf.gather(tf.gather(x, rows, 1), cols, 2) as tf.Tensor4D;
  });
}

/** torch's nearest source indices for one axis (`nearest_idx` in UpSample.h). */
export function nearestIndex(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  if (outSize === inSize) {
    idx.forEach((_, i) => (idx[i] = i));
  } else if (outSize === 2 * inSize) {
    idx.forEach((_, i) => (idx[i] = i >> 1));
  } else {
    const scale = Math.fround(inSize / outSize);
    idx.forEach((_, i) => (idx[i] = Math.min(Math.floor(Math.fround(i * scale)), inSize - 1)));
  }
  return idx;
}

/**
 * `F.max_pool2d(x, kernel_size=1, stride=2, padding=0)` (LastLevelMaxPool): keeps every second row and column,
 * [N, H, W, C] → [N, ⌈H/2⌉, ⌈W/2⌉, C]. Written as pad + reshape + slice so its gradient needs no pooling kernel.
 * Every op stays at rank ≤ 4 (the slice is on [N·⌈H/2⌉, 2, ⌈W/2⌉, 2C]): tfjs-backend-webgpu 4.22's Pad — the
 * slice's gradient — does not compile for rank 5.
 */
export function subsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const oh = Math.ceil(h / 2);
  const ow = Math.ceil(w / 2);
  return tf.tidy(() => {
    const padded =
      oh * 2 === h && ow * 2 === w
        ? x
        : tf.pad(x, [
            [0, 0],
            [0, oh * 2 - h],
            [0, ow * 2 - w],
            [0, 0],
          ]);
    const r = tf.reshape(padded, [n * oh, 2, ow, 2 * c]);
    const s = tf.slice(r, [0, 0, 0, 0], [n * oh, 1, ow, c]);
    return tf.reshape(s, [n, oh, ow, c]) as tf.Tensor4D;
  });
}
