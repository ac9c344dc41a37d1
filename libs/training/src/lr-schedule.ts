import { TrainingConfigError } from './errors';

/** Settings of {@link warmupMultiStepLr}; defaults are the torchvision detection reference's. */
export interface WarmupMultiStepOptions {
  /** Base learning rate (reference: 0.02 for 8 GPUs × 2 images; scale linearly with the batch). */
  baseLr: number;
  /** Warm-up length in iterations; the reference uses `min(1000, len(data_loader) - 1)`. 0 = no warm-up. */
  warmupIters?: number;
  /** LinearLR `start_factor` (reference: 1/1000). */
  warmupFactor?: number;
  /** Iterations at which the rate is multiplied by `gamma` (MultiStepLR stepped per iteration). */
  milestones?: readonly number[];
  /** MultiStepLR `gamma` (reference: 0.1). */
  gamma?: number;
}

/** Learning rate for a 0-based iteration (the rate used by that iteration's optimizer step). */
export type LrSchedule = (iteration: number) => number;

/** torchvision reference's warm-up: `warmup_iters = min(1000, len(data_loader) - 1)`. */
export function referenceWarmupIters(iterationsPerEpoch: number, cap = 1000): number {
  return Math.max(0, Math.min(cap, iterationsPerEpoch - 1));
}

/**
 * Linear warm-up followed by step decay, as a pure function of the iteration — what the torchvision
 * detection reference gets from `LinearLR(start_factor=warmup_factor, total_iters=warmup_iters)` and
 * `MultiStepLR(milestones, gamma)`, both stepped once per iteration:
 *
 *     lr(i) = baseLr · (f + (1 − f) · min(i, W) / W) · gamma^(#milestones ≤ i)
 *
 * (LinearLR's closed form; torch's chained form agrees to ~1e-16 relative.) Because it depends on the
 * iteration only, a resumed run continues the schedule exactly.
 *
 * @example
 * const lr = warmupMultiStepLr({ baseLr: 0.02, warmupIters: 1000, milestones: [16000, 22000] });
 * lr(0);     // 2e-5
 * lr(1000);  // 0.02
 * lr(16000); // 0.002
 */
export function warmupMultiStepLr(opts: WarmupMultiStepOptions): LrSchedule {
  const baseLr = opts.baseLr;
  const warmupIters = opts.warmupIters ?? 0;
  const factor = opts.warmupFactor ?? 1 / 1000;
  const gamma = opts.gamma ?? 0.1;
  const milestones = [...(opts.milestones ?? [])].sort((a, b) => a - b);
  if (!Number.isFinite(baseLr) || baseLr <= 0)
    throw new TrainingConfigError(`lr.baseLr must be > 0, got ${baseLr}`);
  if (!Number.isInteger(warmupIters) || warmupIters < 0) {
    throw new TrainingConfigError(`lr.warmupIters must be an integer ≥ 0, got ${warmupIters}`);
  }
  if (!(factor > 0 && factor <= 1))
    throw new TrainingConfigError(`lr.warmupFactor must be in (0, 1], got ${factor}`);
  if (!(gamma > 0)) throw new TrainingConfigError(`lr.gamma must be > 0, got ${gamma}`);
  for (const m of milestones) {
    if (!Number.isInteger(m) || m < 0)
      throw new TrainingConfigError(`lr.milestones must be integers ≥ 0, got ${m}`);
  }
  return (iteration: number): number => {
    if (!Number.isInteger(iteration) || iteration < 0)
      throw new TrainingConfigError(`lr: iteration must be an integer ≥ 0, got ${iteration}`);
    const warm =
      warmupIters > 0 ? factor + ((1 - factor) * Math.min(iteration, warmupIters)) / warmupIters : 1;
    let decays = 0;
    while (decays < milestones.length && milestones[decays] <= iteration) decays++;
    return baseLr * warm * gamma ** decays;
  };
}
