import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { registerFastWasmBackprop, unregisterFastWasmBackprop } from './wasm-fast-backprop';

/** Runs `f` with the stock wasm kernels and with the wrapped ones; returns both results as host arrays. */
function both(f: () => tf.Tensor): [Float32Array, Float32Array, number[]] {
  unregisterFastWasmBackprop();
  const ref = tf.tidy(f);
  registerFastWasmBackprop();
  const fast = tf.tidy(f);
  const out: [Float32Array, Float32Array, number[]] = [
    ref.dataSync() as Float32Array,
    fast.dataSync() as Float32Array,
    fast.shape,
  ];
  expect(fast.shape).toEqual(ref.shape);
  tf.dispose([ref, fast]);
  return out;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let scale = 0,
    err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / Math.max(scale, 1e-12);
}

describe('registerFastWasmBackprop (wasm)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm' });
  });
  afterAll(() => registerFastWasmBackprop());

  it('is idempotent and wraps the three kernels once', () => {
    unregisterFastWasmBackprop();
    expect(registerFastWasmBackprop().sort()).toEqual(['BatchMatMul', 'Conv2DBackpropInput', '_FusedMatMul']);
    expect(registerFastWasmBackprop()).toEqual([]);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('BatchMatMul transposeA=%s transposeB=%s matches the stock kernel (2-D and batched)', (ta, tb) => {
    for (const batch of [[], [3]]) {
      const a = tf.randomNormal([...batch, ...(ta ? [37, 23] : [23, 37])], 0, 1, 'float32', 1);
      const b = tf.randomNormal([...batch, ...(tb ? [19, 37] : [37, 19])], 0, 1, 'float32', 2);
      const [ref, fast, shape] = both(() => tf.matMul(a, b, ta, tb));
      expect(shape).toEqual([...batch, 23, 19]);
      expect(maxRelErr(ref, fast)).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
  });

  it('_FusedMatMul with bias, relu and transposeB is right (the stock kernel is not)', () => {
    const a = tf.randomNormal([11, 29], 0, 1, 'float32', 3);
    const b = tf.randomNormal([13, 29], 0, 1, 'float32', 4);
    const bias = tf.randomNormal([13], 0, 1, 'float32', 5);
    registerFastWasmBackprop();
    // The stock kernel is wrong with transposeB (see @resdet/nn Linear); compare with the unfused composition.
    const ref = tf.tidy(() => tf.relu(tf.add(tf.matMul(a, tf.transpose(b)), bias)));
    const fast = tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' });
    expect(maxRelErr(ref.dataSync() as Float32Array, fast.dataSync() as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([ref, fast]);
    tf.dispose([a, b, bias]);
  });

  it.each([
    // [input HW, kernel, stride, pad, cin, cout]
    [[9, 9], 3, 1, 'same', 4, 5],
    [[8, 7], 3, 2, 'same', 3, 6],
    [
      [16, 16],
      7,
      2,
      [
        [0, 0],
        [3, 3],
        [3, 3],
        [0, 0],
      ],
      3,
      4,
    ],
    [[10, 11], 1, 1, 'valid', 5, 3],
    [[10, 11], 1, 2, 'valid', 5, 3],
    [
      [12, 12],
      3,
      2,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      4,
      4,
    ],
    [[9, 9], 3, 1, 'valid', 2, 2],
    [[13, 13], 5, 3, 'same', 2, 3],
  ] as [number[], number, number, 'same' | 'valid' | [number, number][], number, number][])(
    'Conv2DBackpropInput %j k%d s%d pad %j equals the stock kernel',
    (hw, k, s, pad, cin, cout) => {
      const x = tf.randomNormal([2, hw[0], hw[1], cin], 0, 1, 'float32', 6) as tf.Tensor4D;
      const wgt = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', 7) as tf.Tensor4D;
      const y = tf.conv2d(x, wgt, s, pad as 'same');
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 8) as tf.Tensor4D;
      const [ref, fast] = both(() =>
        tf.conv2dTranspose(dy, wgt, x.shape as [number, number, number, number], s, pad as 'same'),
      );
      expect(maxRelErr(ref, fast)).toBeLessThan(1e-5);
      tf.dispose([x, wgt, y, dy]);
    },
  );

  it('conv gradients through tf.grads match and leave no tensors behind', () => {
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const wgt = tf.randomNormal([3, 3, 3, 8], 0, 1, 'float32', 10) as tf.Tensor4D;
    const f = () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
      )([x, wgt])[0];
    const before = tf.memory().numTensors;
    const [ref, fast] = both(f);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxRelErr(ref, fast)).toBeLessThan(1e-5);
    tf.dispose([x, wgt]);
  });
});
