import type { FgBgSampler } from '@resdet/detection';

/** One image's recorded draw: indices of the sampled positives and negatives. */
export interface SamplerPicks {
  pos: number[];
  neg: number[];
}

/**
 * Replays torchvision's recorded fg/bg sampler draws (indices per image) instead of sampling, one recorded call
 * per `sample()` call; an index that is not a positive (negative) under our matching fails loudly.
 */
export class ReplaySampler implements FgBgSampler {
  calls = 0;
  constructor(private readonly draws: SamplerPicks[][]) {}

  sample(labels: ArrayLike<number>[]): [Uint8Array[], Uint8Array[]] {
    const picks = this.draws[this.calls];
    if (!picks) throw new Error(`replay sampler: no recorded draw for call ${this.calls + 1}`);
    this.calls++;
    const pos = labels.map((l) => new Uint8Array(l.length));
    const neg = labels.map((l) => new Uint8Array(l.length));
    picks.forEach((p, i) => {
      for (const j of p.pos) {
        if (!(labels[i][j] >= 1))
          throw new Error(`torchvision sampled ${j} as positive, our label is ${labels[i][j]}`);
        pos[i][j] = 1;
      }
      for (const j of p.neg) {
        if (labels[i][j] !== 0)
          throw new Error(`torchvision sampled ${j} as negative, our label is ${labels[i][j]}`);
        neg[i][j] = 1;
      }
    });
    return [pos, neg];
  }
}
