import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@resdet/nn';
import type { GeneralizedRCNN } from '@resdet/detection';
import type { LoaderBatch } from '@resdet/data';
import { detectorTrainable } from './detector-training-step';
import { stepLossesAndGrads } from './loss-and-grads';
import type { SamplerRngs } from './training-detector';

/** Where each trainable parameter sits in the flat float32 buffers replicas share (tfjs layout, model order). */
export interface ParamLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  /** Total floats. */
  size: number;
}

export function paramLayout(params: readonly (readonly [string, tf.Variable])[]): ParamLayout {
  const layout: ParamLayout = { names: [], shapes: [], offsets: [], size: 0 };
  for (const [name, v] of params) {
    layout.names.push(name);
    layout.shapes.push([...v.shape]);
    layout.offsets.push(layout.size);
    layout.size += v.size;
  }
  return layout;
}

/** One shard of a step: its images, the sampler generator states it draws from, the step's BatchNorm buffers. */
export interface ShardTask {
  shard: LoaderBatch;
  rng: { rpnSampler: number; boxSampler: number };
  buffers: StateDict;
}

/** A shard's result; its gradients went into the caller's slot. */
export interface ShardResult {
  /** Each unweighted loss term and `loss`, the optimised (weighted) sum. */
  losses: Record<string, number>;
  /** 1 where the parameter got a gradient (its slot range is zero otherwise). */
  hasGrad: Uint8Array;
  /** Buffers after the shard's forward pass (BatchNorm running statistics move in train mode). */
  buffers: StateDict;
}

/**
 * A detector that computes the gradients of one shard: the main thread's model and each worker's copy are
 * replicas, and the same code runs on both, so a shard's numbers do not depend on where it ran.
 */
export class ShardReplica {
  readonly layout: ParamLayout;
  private readonly params: [string, tf.Variable][];
  private readonly trainable;

  constructor(
    readonly model: GeneralizedRCNN,
    private readonly rngs: SamplerRngs,
    private readonly lossWeights: Record<string, number>,
  ) {
    this.params = model.trainableParameters();
    this.layout = paramLayout(this.params);
    this.trainable = detectorTrainable(model);
  }

  /** Sets the trainable parameters from a flat buffer in {@link layout}. */
  loadParams(flat: Float32Array): void {
    this.params.forEach(([, v], i) => {
      const off = this.layout.offsets[i];
      // A copy: the cpu backend may keep the array it is given, and the shared buffer changes every step.
      const t = tf.tensor(flat.slice(off, off + v.size), v.shape, 'float32');
      v.assign(t);
      t.dispose();
    });
  }

  /** Writes the trainable parameters into a flat buffer in {@link layout}. */
  writeParams(flat: Float32Array): void {
    this.params.forEach(([, v], i) => flat.set(v.dataSync() as Float32Array, this.layout.offsets[i]));
  }

  /** One shard's losses; its gradients go into `out` (length `layout.size`). */
  async compute(task: ShardTask, out: Float32Array): Promise<ShardResult> {
    if (task.buffers.size) this.model.loadStateDict(task.buffers, { strict: false });
    this.rngs.rpnSampler.setState(task.rng.rpnSampler);
    this.rngs.boxSampler.setState(task.rng.boxSampler);
    const { losses, grads } = await stepLossesAndGrads(
      this.trainable,
      task.shard,
      this.params,
      this.lossWeights,
    );
    try {
      const hasGrad = new Uint8Array(this.params.length);
      for (let i = 0; i < this.params.length; i++) {
        const g = grads.get(this.layout.names[i]);
        const off = this.layout.offsets[i];
        if (g) {
          out.set((await g.data()) as Float32Array, off);
          hasGrad[i] = 1;
        } else {
          out.fill(0, off, off + this.params[i][1].size);
        }
      }
      return { losses, hasGrad, buffers: this.model.buffersStateDict() };
    } finally {
      tf.dispose([...grads.values()]);
    }
  }
}
