import * as fs from 'fs';
import * as path from 'path';
import { referenceWarmupIters, warmupMultiStepLr } from './lr-schedule';

/** Fixture: tools/training/make_sgd_fixture.py — torch 1.13 LinearLR + MultiStepLR chained, stepped per iteration. */
const FIXTURE = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../test/fixtures/training/sgd-fixture.json'), 'utf8'),
) as {
  lr: {
    baseLr: number;
    warmupIters: number;
    warmupFactor: number;
    milestones: number[];
    gamma: number;
    lrs: number[];
  }[];
};

describe('warmupMultiStepLr', () => {
  it('hand-worked values at the boundaries', () => {
    const lr = warmupMultiStepLr({
      baseLr: 0.02,
      warmupIters: 1000,
      warmupFactor: 1 / 1000,
      milestones: [16000, 22000],
    });
    expect(lr(0)).toBeCloseTo(0.02 / 1000, 15);
    expect(lr(500)).toBeCloseTo(0.02 * (0.001 + 0.999 * 0.5), 15);
    expect(lr(999)).toBeCloseTo(0.02 * (0.001 + (0.999 * 999) / 1000), 15);
    expect(lr(1000)).toBe(0.02);
    expect(lr(15999)).toBe(0.02);
    expect(lr(16000)).toBeCloseTo(0.002, 15);
    expect(lr(21999)).toBeCloseTo(0.002, 15);
    expect(lr(22000)).toBeCloseTo(0.0002, 15);
  });

  it('no warm-up: constant until the first milestone', () => {
    const lr = warmupMultiStepLr({ baseLr: 0.1, milestones: [2] });
    expect([lr(0), lr(1), lr(2)]).toEqual([0.1, 0.1, 0.1 * 0.1]);
  });

  for (const [i, c] of FIXTURE.lr.entries()) {
    it(`matches torch's chained LinearLR+MultiStepLR, case ${i} (≤1e-12 relative)`, () => {
      const lr = warmupMultiStepLr(c);
      c.lrs.forEach((want, it) => expect(Math.abs(lr(it) - want) / want).toBeLessThan(1e-12));
    });
  }

  it('reference warm-up length is min(1000, len(loader) - 1)', () => {
    expect(referenceWarmupIters(5000)).toBe(1000);
    expect(referenceWarmupIters(200)).toBe(199);
    expect(referenceWarmupIters(1)).toBe(0);
  });

  it('rejects invalid settings naming the field', () => {
    expect(() => warmupMultiStepLr({ baseLr: 0 })).toThrow(/lr.baseLr must be > 0, got 0/);
    expect(() => warmupMultiStepLr({ baseLr: 1, warmupFactor: 2 })).toThrow(/warmupFactor/);
    expect(() => warmupMultiStepLr({ baseLr: 1, milestones: [1.5] })).toThrow(/milestones/);
    expect(() => warmupMultiStepLr({ baseLr: 1 })(-1)).toThrow(/iteration/);
  });
});
