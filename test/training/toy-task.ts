/**
 * A tiny, fully deterministic training task for the trainer's tests: a conv → BatchNorm → ReLU →
 * mean-pool → linear regressor built from @resdet/nn layers, a "sampler" RNG inside the loss (like
 * the RPN's fg/bg sampler), and a shuffling, augmenting batch stream whose state is JSON.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module } from '@resdet/nn';
import { Rng } from '@resdet/random';
import type { BatchStream } from '@resdet/training';

export interface ToyBatch {
  /** [N, 6, 6, 3] images. */
  x: tf.Tensor4D;
  /** [N, 2] regression targets. */
  y: tf.Tensor2D;
}

export class ToyNet extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly fc: Linear;

  constructor(
    rng: Rng,
    /** Picks which samples count in the regression loss (changes every step). */
    private readonly sampler: Rng,
  ) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(3, 4, 3, { padding: 1, rng }));
    this.bn = this.registerModule('bn', new BatchNorm2d(4));
    this.fc = this.registerModule('fc', new Linear(4, 2, { rng }));
  }

  /** Two loss terms: sampled squared error and a small L1 activity penalty. */
  computeLosses(b: ToyBatch): Record<string, tf.Scalar> {
    const n = b.x.shape[0];
    const mask = Float32Array.from({ length: n }, () => (this.sampler.uniform() < 0.75 ? 1 : 0));
    mask[this.sampler.int(n)] = 1;
    const h = tf.relu(this.bn.forward(this.conv.forward(b.x)));
    const out = this.fc.forward(tf.mean(h, [1, 2]));
    const err = tf.mul(tf.sum(tf.square(tf.sub(out, b.y)), 1), tf.tensor1d(mask));
    return {
      loss_regression: tf.div(
        tf.sum(err),
        mask.reduce((a, v) => a + v, 0),
      ) as tf.Scalar,
      loss_activity: tf.mul(tf.mean(tf.abs(out)), 0.01) as tf.Scalar,
    };
  }
}

interface ToyStreamState {
  epoch: number;
  pos: number;
  order: number[];
  rng: number;
}

/** Endless shuffled batches over `count` fixed samples, with random horizontal flips. */
export class ToyStream implements BatchStream<ToyBatch> {
  private readonly xs: Float32Array[] = [];
  private readonly ys: Float32Array[] = [];
  private epoch = 0;
  private pos = 0;
  private order: number[] = [];
  released = 0;

  constructor(
    private readonly rng: Rng,
    readonly batch = 2,
    count = 6,
    dataSeed = 99,
  ) {
    const g = new Rng(dataSeed);
    for (let i = 0; i < count; i++) {
      const x = g.normalArray(6 * 6 * 3);
      // Learnable, flip-invariant targets: 3 × the mean of channels 0 and 1.
      const mean = (c: number) => (3 * x.filter((_, j) => j % 3 === c).reduce((a, v) => a + v, 0)) / 36;
      this.xs.push(x);
      this.ys.push(Float32Array.from([mean(0), mean(1)]));
    }
    this.order = this.rng.permutation(count);
  }

  next(): ToyBatch {
    const idx: number[] = [];
    while (idx.length < this.batch) {
      if (this.pos === this.order.length) {
        this.epoch++;
        this.pos = 0;
        this.order = this.rng.permutation(this.xs.length);
      }
      idx.push(this.order[this.pos++]);
    }
    return tf.tidy(() => {
      const imgs = idx.map((i) => {
        const t = tf.tensor3d(this.xs[i], [6, 6, 3]);
        return this.rng.uniform() < 0.5 ? tf.reverse(t, 1) : t;
      });
      return {
        x: tf.stack(imgs) as tf.Tensor4D,
        y: tf.tensor2d(
          idx.flatMap((i) => [...this.ys[i]]),
          [idx.length, 2],
        ),
      };
    });
  }

  batchSize(b: ToyBatch): number {
    return b.x.shape[0];
  }

  release(b: ToyBatch): void {
    this.released++;
    tf.dispose([b.x, b.y]);
  }

  getState(): ToyStreamState {
    return { epoch: this.epoch, pos: this.pos, order: [...this.order], rng: this.rng.getState() };
  }

  setState(state: unknown): void {
    const s = state as ToyStreamState;
    this.epoch = s.epoch;
    this.pos = s.pos;
    this.order = [...s.order];
    this.rng.setState(s.rng);
  }
}
