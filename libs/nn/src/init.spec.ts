import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm2d, Conv2d, initTorchvisionResNet, Linear, Sequential } from './index';
import { Rng } from '@resdet/random';

describe('initTorchvisionResNet', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives convs N(0, 2/fan_out), BN weight 1 / bias 0, leaves Linear at torch default; seeded', () => {
    const make = () =>
      new Sequential([
        new Conv2d(16, 64, 3, { bias: false }),
        new BatchNorm2d(64),
        new Linear(8, 2, { rng: new Rng(9) }),
      ]);
    const a = make();
    const bn = a.at(1) as BatchNorm2d;
    const fcBefore = Array.from((a.at(2) as Linear).weight.dataSync());
    tf.tidy(() => bn.weight.assign(tf.fill([64], 3)));
    initTorchvisionResNet(a, new Rng(5));
    const w = Array.from((a.at(0) as Conv2d).weight.dataSync());
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    const want = Math.sqrt(2 / (64 * 9)); // 9216 samples: 3% tolerance
    expect(Math.abs(std - want) / want).toBeLessThan(0.03);
    expect(Array.from(bn.weight.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(bn.bias.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from((a.at(2) as Linear).weight.dataSync())).toEqual(fcBefore);
    const b = make();
    initTorchvisionResNet(b, new Rng(5));
    expect(Array.from((b.at(0) as Conv2d).weight.dataSync())).toEqual(w);
    a.dispose();
    b.dispose();
  });
});
