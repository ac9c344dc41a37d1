import { resolveTrainingConfig, scheduleFromConfig, TRAINING_DEFAULTS } from './training.config';

describe('resolveTrainingConfig', () => {
  it('fills the reference defaults and the reference warm-up from the epoch length', () => {
    const cfg = resolveTrainingConfig(
      { maxIterations: 3000, milestones: [2000] },
      { iterationsPerEpoch: 250 },
    );
    expect(cfg).toMatchObject({
      momentum: 0.9,
      weightDecay: 1e-4,
      warmupFactor: 0.001,
      gamma: 0.1,
      warmupIters: 249,
    });
    const lr = scheduleFromConfig(cfg);
    expect(lr(0)).toBeCloseTo(TRAINING_DEFAULTS.baseLr / 1000, 15);
    expect(lr(249)).toBe(TRAINING_DEFAULTS.baseLr);
    expect(lr(2000)).toBeCloseTo(TRAINING_DEFAULTS.baseLr * 0.1, 15);
  });

  it('never mutates its input or the defaults', () => {
    const input = { milestones: [5] };
    const cfg = resolveTrainingConfig(input, { iterationsPerEpoch: 10 });
    cfg.milestones.push(7);
    expect(input.milestones).toEqual([5]);
    expect(TRAINING_DEFAULTS.milestones).toEqual([]);
  });

  it('names the source, field and value of a bad setting', () => {
    const ctx = { source: 'configs/x.json', iterationsPerEpoch: 10 };
    expect(() => resolveTrainingConfig({ baseLr: -1 }, ctx)).toThrow(
      'configs/x.json: train.baseLr must be a number > 0, got -1',
    );
    expect(() => resolveTrainingConfig({ batchSize: 1.5 }, ctx)).toThrow(
      /train.batchSize must be an integer ≥ 1, got 1.5/,
    );
    expect(() => resolveTrainingConfig({ clipGradNorm: 0 }, ctx)).toThrow(
      /clipGradNorm must be null or a number > 0/,
    );
    expect(() => resolveTrainingConfig({ lossWeights: { loss_box_reg: -1 } }, ctx)).toThrow(
      /train\.lossWeights must be an object of loss term name → number ≥ 0, got \{"loss_box_reg":-1\}/,
    );
    expect(resolveTrainingConfig({ lossWeights: { loss_box_reg: 0 } }, ctx).lossWeights).toEqual({
      loss_box_reg: 0,
    });
    expect(() => resolveTrainingConfig({ lr: 1 } as never, ctx)).toThrow(/unknown train setting\(s\) lr/);
    expect(() => resolveTrainingConfig({})).toThrow(/warmupIters is not set/);
  });
});
