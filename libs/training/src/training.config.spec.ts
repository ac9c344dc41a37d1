import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  resolveTrainingConfig,
  scheduleFromConfig,
  sgdFromConfig,
  TRAINING_DEFAULTS,
} from './training.config';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

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
    expect(() => resolveTrainingConfig({ backboneLrMultiplier: -0.1 }, ctx)).toThrow(
      'configs/x.json: train.backboneLrMultiplier must be a number ≥ 0, got -0.1',
    );
    expect(() => resolveTrainingConfig({ freezeRpn: 'yes' } as never, ctx)).toThrow(
      'train.freezeRpn must be true or false, got "yes"',
    );
    expect(() => resolveTrainingConfig({ shardSize: 0 }, ctx)).toThrow(
      'configs/x.json: train.shardSize must be null or an integer ≥ 1, got 0',
    );
    expect(resolveTrainingConfig({ shardSize: 2 }, ctx).shardSize).toBe(2);
    expect(resolveTrainingConfig({}, ctx).shardSize).toBeNull();
  });

  it('sgdFromConfig gives parameters under backbone. the backbone lr multiplier', () => {
    const cfg = resolveTrainingConfig({ backboneLrMultiplier: 0.1, warmupIters: 0 });
    expect(cfg).toMatchObject({ freezeRpn: false, backboneLrMultiplier: 0.1 });
    const v = tf.variable(tf.tensor1d([1]));
    const w = tf.variable(tf.tensor1d([1]));
    const opt = sgdFromConfig(
      [
        ['backbone.fpn.layer_blocks.0.0.weight', v],
        ['rpn.head.conv.0.0.weight', w],
      ],
      { ...cfg, weightDecay: 0, momentum: 0 },
    );
    opt.step(
      new Map([
        ['backbone.fpn.layer_blocks.0.0.weight', tf.tensor1d([1])],
        ['rpn.head.conv.0.0.weight', tf.tensor1d([1])],
      ]),
      1,
    );
    expect([v.dataSync()[0], w.dataSync()[0]]).toEqual([Math.fround(0.9), 0]);
    opt.dispose();
    tf.dispose([v, w]);
  });
});
