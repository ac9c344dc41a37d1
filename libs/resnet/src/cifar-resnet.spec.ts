import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@resdet/random';
import { CifarBlock, cifarResNet } from './index';

const params = (m: { namedParameters(): [string, tf.Variable][] }) =>
  m.namedParameters().reduce((s, [, v]) => s + v.size, 0);

describe('CIFAR ResNets (He et al. 2016 §4.2)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("have the paper's parameter counts (0.27M for ResNet-20, 0.46M for ResNet-32; option A)", () => {
    const want: Record<number, number> = { 20: 0.27, 32: 0.46 };
    for (const [d, m] of Object.entries(want)) {
      const net = cifarResNet(Number(d));
      expect(Math.abs(params(net) / 1e6 - m)).toBeLessThan(0.01 * Math.max(1, m * 3));
      net.dispose();
    }
  });

  it('option A pads channels with zeros and subsamples; B projects; plain has no shortcut', () => {
    const a = new CifarBlock(2, 4, 2, 'A', new Rng(1)).eval();
    const b = new CifarBlock(2, 4, 2, 'B', new Rng(1)).eval();
    expect([...b.stateDict().keys()].filter((k) => k.startsWith('shortcut'))).toEqual([
      'shortcut.0.weight',
      'shortcut.1.weight',
      'shortcut.1.bias',
      'shortcut.1.running_mean',
      'shortcut.1.running_var',
      'shortcut.1.num_batches_tracked',
    ]);
    // zero conv weights → residual branch is BN bias (0) → output = relu(shortcut)
    for (const v of [a.conv1.weight, a.conv2.weight]) v.assign(tf.zerosLike(v));
    const x = tf.tensor4d(
      Array.from({ length: 4 * 4 * 2 }, (_, i) => i + 1),
      [1, 4, 4, 2],
    );
    const y = a.forward(x);
    expect(y.shape).toEqual([1, 2, 2, 4]);
    // pixel (0,0) of x is [1, 2] → [0, 1, 2, 0]; pixel (0,2) is [5, 6]
    expect(Array.from(y.dataSync()).slice(0, 8)).toEqual([0, 1, 2, 0, 0, 5, 6, 0]);
    const plain = new CifarBlock(2, 4, 2, 'none', new Rng(1)).eval();
    for (const v of [plain.conv1.weight, plain.conv2.weight]) v.assign(tf.zerosLike(v));
    expect([...plain.stateDict().keys()].some((k) => k.startsWith('shortcut'))).toBe(false);
    const yp = plain.forward(x);
    expect(Math.max(...yp.dataSync())).toBe(0);
    tf.dispose([x, y, yp]);
    a.dispose();
    b.dispose();
    plain.dispose();
  });

  it('runs forward and backward (ResNet-20 option B) without leaking', () => {
    for (const shortcut of ['B'] as const) {
      const net = cifarResNet(20, { shortcut, rng: new Rng(3) });
      const x = tf.randomNormal([2, 4, 4, 3]);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.forward(x))) as tf.Scalar);
      expect(Object.keys(grads).length).toBe(net.trainableParameters().length);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      net.dispose();
    }
    expect(() => cifarResNet(21)).toThrow(/6n\+2/);
  });
});
