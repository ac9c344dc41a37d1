/**
 * BalancedPositiveNegativeSampler: picks up to `batchSizePerImage` predictions per image with at most
 * `positiveFraction` positives, like torchvision's `_utils.BalancedPositiveNegativeSampler`.
 *
 * Input labels per image follow torchvision: `≥ 1` positive, `0` negative, `-1` ignored (negative values other
 * than 0 are ignored). `numPos = min(#pos, floor(batch·fraction))`, `numNeg = min(#neg, batch − numPos)`.
 * Randomness comes from an injected {@link Rng} (torch's `randperm` stream cannot be reproduced, so random
 * picks differ from torchvision's); `mode: 'first'` takes the first `numPos`/`numNeg` candidates in index order
 * — deterministic, for parity tests against a torchvision run whose `randperm` is patched to `arange`.
 *
 * @example
 * const sampler = new BalancedPositiveNegativeSampler(256, 0.5, new Rng(0));
 * const [pos, neg] = sampler.sample([labelsImage0, labelsImage1]); // Uint8Array masks
 */
import type { Rng } from '@resdet/random';

export type SamplerMode = 'random' | 'first';

/** Picks positives/negatives from per-image labels (≥1 pos, 0 neg, <0 ignore); the RPN and RoI heads take any of these. */
export interface FgBgSampler {
  sample(labels: ArrayLike<number>[]): [Uint8Array[], Uint8Array[]];
}

export class BalancedPositiveNegativeSampler implements FgBgSampler {
  constructor(
    readonly batchSizePerImage: number,
    readonly positiveFraction: number,
    private readonly rng: Rng | null,
    readonly mode: SamplerMode = 'random',
  ) {
    if (!(batchSizePerImage > 0) || !Number.isInteger(batchSizePerImage)) {
      throw new Error(
        `BalancedPositiveNegativeSampler: batchSizePerImage must be a positive integer, got ${batchSizePerImage}`,
      );
    }
    if (!(positiveFraction >= 0 && positiveFraction <= 1)) {
      throw new Error(
        `BalancedPositiveNegativeSampler: positiveFraction must be in [0, 1], got ${positiveFraction}`,
      );
    }
    if (mode === 'random' && !rng) {
      throw new Error("BalancedPositiveNegativeSampler: mode 'random' needs an Rng (or use mode 'first')");
    }
  }

  /**
   * @param labels per image, `[N_i]` matched labels/indices (≥1 pos, 0 neg, <0 ignore).
   * @returns `[posMasks, negMasks]`, one `Uint8Array [N_i]` (0/1) per image.
   */
  sample(labels: ArrayLike<number>[]): [Uint8Array[], Uint8Array[]] {
    const posMasks: Uint8Array[] = [];
    const negMasks: Uint8Array[] = [];
    for (const l of labels) {
      const positive: number[] = [];
      const negative: number[] = [];
      for (let i = 0; i < l.length; i++) {
        if (l[i] >= 1) positive.push(i);
        else if (l[i] === 0) negative.push(i);
      }
      const numPos = Math.min(positive.length, Math.floor(this.batchSizePerImage * this.positiveFraction));
      const numNeg = Math.min(negative.length, this.batchSizePerImage - numPos);
      const pos = new Uint8Array(l.length);
      const neg = new Uint8Array(l.length);
      for (const i of this.pick(positive, numPos)) pos[i] = 1;
      for (const i of this.pick(negative, numNeg)) neg[i] = 1;
      posMasks.push(pos);
      negMasks.push(neg);
    }
    return [posMasks, negMasks];
  }

  private pick(candidates: number[], k: number): number[] {
    if (this.mode === 'first' || !this.rng) return candidates.slice(0, k);
    // partial Fisher–Yates: the first k of a uniform random permutation
    const a = candidates.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.rng.int(a.length - i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, k);
  }
}
