import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { BatchNorm2d } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { FastRCNNConvFCHead } from './fast-rcnn-conv-fc-head';

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

describe('FastRCNNConvFCHead', () => {
  it("has torchvision's child indices: convs 0…n-1, Flatten at n (no keys), fc layers from n+1", () => {
    const head = new FastRCNNConvFCHead(8, 3, { convLayers: [4, 6], fcLayers: [10, 5], norm: 'batch' });
    expect([...head.stateDict()].map(([k, t]) => [k, t.shape])).toEqual([
      ['0.0.weight', [4, 8, 3, 3]],
      ['0.1.weight', [4]],
      ['0.1.bias', [4]],
      ['0.1.running_mean', [4]],
      ['0.1.running_var', [4]],
      ['0.1.num_batches_tracked', []],
      ['1.0.weight', [6, 4, 3, 3]],
      ['1.1.weight', [6]],
      ['1.1.bias', [6]],
      ['1.1.running_mean', [6]],
      ['1.1.running_var', [6]],
      ['1.1.num_batches_tracked', []],
      ['3.weight', [10, 54]],
      ['3.bias', [10]],
      ['5.weight', [5, 10]],
      ['5.bias', [5]],
    ]);
    expect(head.outChannels).toBe(5);
    const plain = new FastRCNNConvFCHead(8, 3, { convLayers: [4], fcLayers: [7], norm: 'none' });
    expect([...plain.stateDict().keys()]).toEqual(['0.0.weight', '0.0.bias', '2.weight', '2.bias']);
    head.dispose();
    plain.dispose();
  });

  it('computes relu(fc(flatten_CHW(relu(bn(conv(x)))))) on NHWC RoI features', () => {
    const head = new FastRCNNConvFCHead(2, 2, {
      convLayers: [3],
      fcLayers: [4],
      norm: 'batch',
      rng: new Rng(3),
    });
    const bn = head.convs[0].at(1) as BatchNorm2d;
    bn.weight.assign(tf.tensor1d([1.5, -0.5, 2]));
    bn.bias.assign(tf.tensor1d([0.1, 0.2, -0.3]));
    head.eval();
    const x = tf.randomNormal([5, 2, 2, 2], 0, 1, 'float32', 9) as tf.Tensor4D;
    const got = head.forward(x);
    const want = tf.tidy(() => {
      const conv = head.convs[0].at(0) as unknown as { forward(t: tf.Tensor): tf.Tensor };
      // eval BatchNorm with the default statistics (mean 0, var 1): y·γ/√(1+eps) + β
      const y = tf.relu(tf.add(tf.mul(conv.forward(x), tf.div(bn.weight, Math.sqrt(1 + 1e-5))), bn.bias));
      const flat = tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [5, 12]);
      return tf.relu(head.fcs[0].forward(flat));
    });
    expect(got.shape).toEqual([5, 4]);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
    expect(d).toBeLessThan(1e-6);
    expect(() => head.forward(tf.zeros([1, 3, 3, 2]) as tf.Tensor4D)).toThrow(
      'FastRCNNConvFCHead: expected RoI features [R, 2, 2, 2], got [1,3,3,2]',
    );
    expect(() => new FastRCNNConvFCHead(2, 2, { convLayers: [3], fcLayers: [], norm: 'none' })).toThrow(
      /at least one fc layer/,
    );
    tf.dispose([x, got, want]);
    head.dispose();
  });
});
