import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dInputGradient } from './conv2d-backprop-input';
import { registerResdetKernels } from './register';
import { KERNEL_RTOL, onBackends, relativeError, seededFloats, seededInt } from './testing';
import { WasmBackendLike } from './wasm-ops';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

function inputGrad(
  x: [number, number, number, number],
  f: [number, number, number, number],
  strides: [number, number],
  pad: Pad,
  seed: number,
) {
  return (): tf.Tensor => {
    const conv = tf.backend_util.computeConv2DInfo(x, f, strides, 1, pad);
    const dyShape = [x[0], conv.outHeight, conv.outWidth, f[3]];
    const dy = tf.tensor(
      seededFloats(
        dyShape.reduce((a, b) => a * b),
        seed,
      ),
      dyShape,
    );
    const w = tf.tensor(
      seededFloats(
        f.reduce((a, b) => a * b),
        seed + 1,
      ),
      f,
    );
    return tf
      .engine()
      .runKernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        { strides, pad, dataFormat: 'NHWC', inputShape: x },
      ) as tf.Tensor;
  };
}

describe('Conv2DBackpropInput on wasm (GEMM + col2im, replaces tfjs-backend-wasm 4.22’s) within KERNEL_RTOL', () => {
  beforeAll(() => {
    registerResdetKernels();
  });

  it.each<
    [string, [number, number, number, number], [number, number, number, number], [number, number], Pad]
  >([
    ['3×3 /1 SAME', [2, 9, 9, 8], [3, 3, 8, 6], [1, 1], 'same'],
    ['3×3 /2 SAME, odd size', [2, 9, 7, 5], [3, 3, 5, 4], [2, 2], 'same'],
    ['1×1 /1 VALID (GEMM only)', [3, 5, 7, 16], [1, 1, 16, 12], [1, 1], 'valid'],
    ['1×1 /2 VALID', [2, 8, 8, 6], [1, 1, 6, 10], [2, 2], 'valid'],
    [
      '7×7 /2 explicit 3 (stem)',
      [1, 16, 15, 3],
      [7, 7, 3, 8],
      [2, 2],
      [
        [0, 0],
        [3, 3],
        [3, 3],
        [0, 0],
      ],
    ],
  ])('matches cpu: %s', async (_n, x, f, s, p) => {
    const [cpu, wasm] = await onBackends(['cpu', 'wasm'], inputGrad(x, f, s, p, 3));
    expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(KERNEL_RTOL);
  });

  it('matches cpu on 16 random shapes, strides and paddings', async () => {
    for (let i = 0; i < 16; i++) {
      const s = 2000 + i * 19;
      const fh = seededInt(s, 1, 4);
      const fw = seededInt(s + 1, 1, 4);
      const x: [number, number, number, number] = [
        seededInt(s + 2, 1, 3),
        seededInt(s + 3, fh, 11),
        seededInt(s + 4, fw, 11),
        seededInt(s + 5, 1, 9),
      ];
      const pad: Pad =
        i % 3 === 2
          ? [
              [0, 0],
              [seededInt(s + 6, 0, 2), seededInt(s + 7, 0, 2)],
              [seededInt(s + 8, 0, 2), seededInt(s + 9, 0, 2)],
              [0, 0],
            ]
          : i % 3
            ? 'valid'
            : 'same';
      const strides: [number, number] = [seededInt(s + 10, 1, 3), seededInt(s + 11, 1, 3)];
      const [cpu, wasm] = await onBackends(
        ['cpu', 'wasm'],
        inputGrad(x, [fh, fw, x[3], seededInt(s + 12, 1, 7)], strides, pad, s),
      );
      const err = relativeError(wasm, cpu);
      if (!(err <= KERNEL_RTOL))
        throw new Error(
          `case ${i}: x ${x} f ${fh}×${fw} strides ${strides} pad ${JSON.stringify(pad)}: ${err}`,
        );
    }
  });

  it('accumulates col2im over many row blocks, without leaking wasm memory', async () => {
    await tf.setBackend('wasm');
    const be = tf.backend() as unknown as WasmBackendLike & { numDataIds(): number };
    const conv = tf.backend_util.computeConv2DInfo([2, 10, 11, 5], [3, 3, 5, 4], [2, 1], 1, 'same');
    const dy = tf.tensor4d(seededFloats(2 * conv.outHeight * conv.outWidth * 4, 8), [
      2,
      conv.outHeight,
      conv.outWidth,
      4,
    ]);
    const w = tf.tensor4d(seededFloats(3 * 3 * 5 * 4, 9), [3, 3, 5, 4]);
    const whole = tf.engine().makeTensorFromTensorInfo(conv2dInputGradient(be, dy, w, conv));
    const ids = be.numDataIds();
    const blocked = tf.engine().makeTensorFromTensorInfo(conv2dInputGradient(be, dy, w, conv, 200));
    expect(be.numDataIds()).toBe(ids + 1);
    expect(relativeError(await blocked.data(), await whole.data())).toBeLessThanOrEqual(KERNEL_RTOL);
    tf.dispose([dy, w, whole, blocked]);
  });
});
