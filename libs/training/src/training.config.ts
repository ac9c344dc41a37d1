import { TrainingConfigError } from './errors';
import { LrSchedule, referenceWarmupIters, warmupMultiStepLr } from './lr-schedule';
import { NamedVariables, Sgd } from './sgd';

/**
 * Training settings (the `train` section of a config file). Names follow torchvision's detection
 * reference (`references/detection/train.py`) in camelCase; the schedule is in iterations where the
 * reference counts epochs for `lr_steps`.
 */
export interface TrainingConfig {
  /** Seed of every RNG of the run (model init, sampler, loader). */
  seed: number;
  /** Total iterations (reference: `epochs` × iterations per epoch). */
  maxIterations: number;
  /** Images per iteration (reference: 2 per GPU). */
  batchSize: number;
  /**
   * Data parallelism: each batch is cut into shards of this many images whose gradients are averaged (as
   * PyTorch DDP averages replicas, BatchNorm using each shard's own statistics). The shards run on `--workers`
   * threads, or one after another with one worker, so the numbers never depend on the worker count.
   * null = the whole batch is one shard (one thread).
   */
  shardSize: number | null;
  /** `lr` (reference: 0.02 for 16 images; scale with the batch size: 0.02 × batchSize / 16). */
  baseLr: number;
  momentum: number;
  /** `weight_decay`. */
  weightDecay: number;
  nesterov: boolean;
  /** Warm-up iterations; undefined = reference rule `min(1000, iterations per epoch − 1)`. */
  warmupIters?: number;
  /** `warmup_factor` (LinearLR `start_factor`). */
  warmupFactor: number;
  /** Iterations at which the lr drops by `gamma` (reference `lr_steps` are epochs 16 and 22 of 26). */
  milestones: number[];
  /** `lr_gamma`. */
  gamma: number;
  /** Max global gradient L2 norm; null = no clipping (the detection reference does not clip). */
  clipGradNorm: number | null;
  /**
   * Weight of loss terms by torchvision name (`loss_objectness`, `loss_rpn_box_reg`, `loss_classifier`,
   * `loss_box_reg`) in the optimised sum; unnamed terms weigh 1 (Detectron2's `*_LOSS_WEIGHT` settings).
   */
  lossWeights: Record<string, number>;
  /** Checkpoint every this many iterations (and at the end and on SIGINT/SIGTERM). */
  checkpointEvery: number;
  /** Resumable checkpoints kept. */
  keepLast: number;
  /** Evaluate every this many iterations (and at the end); 0 = only at the end. */
  evalEvery: number;
  /** Metric that selects `best.safetensors` (maximised). */
  bestMetric: string;
  /** One loss-curve point per this many iterations. */
  historyEvery: number;
  /**
   * Fine-tuning: the RPN's parameters get no updates (its loss still trains the backbone, as with
   * `requires_grad_(False)` in torch).
   */
  freezeRpn: boolean;
  /**
   * Fine-tuning: learning-rate factor of everything under torchvision's `model.backbone` (ResNet body + FPN), a
   * torch param group with `lr = baseLr × backboneLrMultiplier`; 1 = one lr for all.
   */
  backboneLrMultiplier: number;
}

/** torchvision detection reference defaults (single process, batch 2 → lr scaled 0.02 × 2 / 16). */
export const TRAINING_DEFAULTS: Readonly<TrainingConfig> = Object.freeze({
  seed: 0,
  maxIterations: 1000,
  batchSize: 2,
  shardSize: null,
  baseLr: 0.0025,
  momentum: 0.9,
  weightDecay: 1e-4,
  nesterov: false,
  warmupIters: undefined,
  warmupFactor: 1 / 1000,
  milestones: Object.freeze([]) as unknown as number[],
  gamma: 0.1,
  clipGradNorm: null,
  lossWeights: Object.freeze({}) as Record<string, number>,
  checkpointEvery: 500,
  keepLast: 3,
  evalEvery: 0,
  bestMetric: 'AP50',
  historyEvery: 10,
  freezeRpn: false,
  backboneLrMultiplier: 1,
});

/**
 * Merges `input` over {@link TRAINING_DEFAULTS} and validates every field once; errors name the
 * source, the field and the value. `iterationsPerEpoch` fills the reference warm-up length.
 *
 * @example
 * const cfg = resolveTrainingConfig(json.train, { source: 'configs/shapes.json', iterationsPerEpoch: loader.batchesPerEpoch });
 */
export function resolveTrainingConfig(
  input: Partial<TrainingConfig> = {},
  ctx: { source?: string; iterationsPerEpoch?: number } = {},
): Required<TrainingConfig> {
  const where = ctx.source ? `${ctx.source}: ` : '';
  const known = new Set(Object.keys(TRAINING_DEFAULTS).concat('warmupIters'));
  const unknown = Object.keys(input).filter((k) => !known.has(k));
  if (unknown.length)
    throw new TrainingConfigError(
      `${where}unknown train setting(s) ${unknown.join(', ')}; valid: ${[...known].join(', ')}`,
    );
  const cfg = {
    ...TRAINING_DEFAULTS,
    ...input,
    milestones: [...(input.milestones ?? TRAINING_DEFAULTS.milestones)],
  };
  const fail = (field: string, rule: string, v: unknown): never => {
    throw new TrainingConfigError(`${where}train.${field} must be ${rule}, got ${JSON.stringify(v)}`);
  };
  const int = (field: keyof TrainingConfig, min: number) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `an integer ≥ ${min}`, v);
  };
  const pos = (field: keyof TrainingConfig, allowZero: boolean) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
      fail(field, allowZero ? 'a number ≥ 0' : 'a number > 0', v);
  };
  int('seed', 0);
  int('maxIterations', 0);
  int('batchSize', 1);
  pos('baseLr', false);
  pos('momentum', true);
  pos('weightDecay', true);
  pos('gamma', false);
  int('checkpointEvery', 1);
  int('keepLast', 1);
  int('evalEvery', 0);
  int('historyEvery', 1);
  pos('backboneLrMultiplier', true);
  if (typeof cfg.nesterov !== 'boolean') fail('nesterov', 'true or false', cfg.nesterov);
  if (typeof cfg.freezeRpn !== 'boolean') fail('freezeRpn', 'true or false', cfg.freezeRpn);
  if (!(cfg.warmupFactor > 0 && cfg.warmupFactor <= 1)) fail('warmupFactor', 'in (0, 1]', cfg.warmupFactor);
  if (cfg.clipGradNorm !== null && !(typeof cfg.clipGradNorm === 'number' && cfg.clipGradNorm > 0))
    fail('clipGradNorm', 'null or a number > 0', cfg.clipGradNorm);
  if (
    typeof cfg.lossWeights !== 'object' ||
    cfg.lossWeights === null ||
    Array.isArray(cfg.lossWeights) ||
    !Object.values(cfg.lossWeights).every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)
  )
    fail('lossWeights', 'an object of loss term name → number ≥ 0', cfg.lossWeights);
  if (cfg.shardSize !== null && !(Number.isInteger(cfg.shardSize) && cfg.shardSize >= 1))
    fail('shardSize', 'null or an integer ≥ 1', cfg.shardSize);
  if (!cfg.milestones.every((m) => Number.isInteger(m) && m >= 0))
    fail('milestones', 'a list of integers ≥ 0', cfg.milestones);
  if (typeof cfg.bestMetric !== 'string' || !cfg.bestMetric)
    fail('bestMetric', 'a metric name such as "AP50"', cfg.bestMetric);
  let warmupIters = cfg.warmupIters;
  if (warmupIters === undefined) {
    if (ctx.iterationsPerEpoch === undefined) {
      throw new TrainingConfigError(
        `${where}train.warmupIters is not set and the iterations per epoch are unknown`,
      );
    }
    warmupIters = referenceWarmupIters(ctx.iterationsPerEpoch);
  }
  if (!Number.isInteger(warmupIters) || warmupIters < 0) fail('warmupIters', 'an integer ≥ 0', warmupIters);
  return { ...cfg, warmupIters };
}

/** The run's learning-rate schedule. */
export function scheduleFromConfig(cfg: Required<TrainingConfig>): LrSchedule {
  return warmupMultiStepLr({
    baseLr: cfg.baseLr,
    warmupIters: cfg.warmupIters,
    warmupFactor: cfg.warmupFactor,
    milestones: cfg.milestones,
    gamma: cfg.gamma,
  });
}

/**
 * The run's optimizer over `params` (weight decay on every parameter, as the reference does); parameters under
 * `backbone.` step with `backboneLrMultiplier` × the scheduled lr.
 */
export function sgdFromConfig(params: NamedVariables, cfg: TrainingConfig): Sgd {
  const backbone = cfg.backboneLrMultiplier ?? 1;
  return new Sgd(params, {
    momentum: cfg.momentum,
    weightDecay: cfg.weightDecay,
    nesterov: cfg.nesterov,
    lrMultiplier: backbone === 1 ? undefined : (name) => (name.startsWith('backbone.') ? backbone : 1),
  });
}
