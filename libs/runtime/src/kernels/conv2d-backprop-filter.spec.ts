import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGradient } from './conv2d-backprop-filter';
import { conv2dFilterGradientReference } from './reference';
import { registerResdetKernels } from './register';
import { KERNEL_RTOL, onBackends, relativeError, seededFloats, seededInt } from './testing';
import { WasmBackendLike } from './wasm-ops';

type Pad =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  x: [number, number, number, number];
  f: [number, number]; // filter height, width
  co: number;
  strides: [number, number];
  pad: Pad;
  rounding?: 'floor' | 'round' | 'ceil';
}

function outShape(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [...c.f, c.x[3], c.co],
    c.strides,
    1,
    c.pad,
    c.rounding,
  );
  return [c.x[0], info.outHeight, info.outWidth, c.co];
}

function filterGrad(c: Case, seed: number): () => tf.Tensor {
  return () => {
    const dyShape = outShape(c);
    const x = tf.tensor4d(
      seededFloats(
        c.x.reduce((a, b) => a * b),
        seed,
      ),
      c.x,
    );
    const dy = tf.tensor4d(
      seededFloats(
        dyShape.reduce((a, b) => a * b),
        seed + 1,
      ),
      dyShape,
    );
    return tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      {
        strides: c.strides,
        pad: c.pad,
        dataFormat: 'NHWC',
        ...(c.rounding ? { dimRoundingMode: c.rounding } : {}),
        filterShape: [...c.f, c.x[3], c.co],
      },
    ) as tf.Tensor;
  };
}

describe('Conv2DBackpropFilter on wasm (im2col + GEMM)', () => {
  beforeAll(() => {
    registerResdetKernels();
  });

  const fixed: Array<[string, Case]> = [
    ['3×3 stride 1 SAME (ResNet body)', { x: [2, 9, 9, 8], f: [3, 3], co: 6, strides: [1, 1], pad: 'same' }],
    ['3×3 stride 2 SAME', { x: [2, 9, 8, 5], f: [3, 3], co: 4, strides: [2, 2], pad: 'same' }],
    [
      '7×7 stride 2 explicit pad 3 (stem)',
      {
        x: [1, 16, 15, 3],
        f: [7, 7],
        co: 8,
        strides: [2, 2],
        pad: [
          [0, 0],
          [3, 3],
          [3, 3],
          [0, 0],
        ],
      },
    ],
    [
      '1×1 stride 1 VALID (pointwise fast path)',
      { x: [3, 5, 7, 16], f: [1, 1], co: 12, strides: [1, 1], pad: 'valid' },
    ],
    [
      '1×1 stride 2 VALID (projection shortcut)',
      { x: [2, 8, 8, 6], f: [1, 1], co: 10, strides: [2, 2], pad: 'valid' },
    ],
    [
      'asymmetric explicit padding, rectangular filter',
      {
        x: [1, 6, 9, 4],
        f: [2, 4],
        co: 3,
        strides: [1, 2],
        pad: [
          [0, 0],
          [0, 2],
          [3, 1],
          [0, 0],
        ],
      },
    ],
    [
      'numeric pad with ceil rounding',
      { x: [2, 7, 7, 3], f: [3, 3], co: 2, strides: [2, 2], pad: 1, rounding: 'ceil' },
    ],
    [
      'filter larger than the image, SAME',
      { x: [1, 2, 3, 2], f: [5, 5], co: 3, strides: [1, 1], pad: 'same' },
    ],
  ];

  it.each(fixed)('matches cpu within KERNEL_RTOL: %s', async (_name, c) => {
    const [cpu, wasm] = await onBackends(['cpu', 'wasm'], filterGrad(c, 11));
    expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(KERNEL_RTOL);
  });

  it('matches cpu on 20 random shapes, strides and paddings', async () => {
    const pads: Pad[] = ['same', 'valid'];
    for (let i = 0; i < 20; i++) {
      const s = 1000 + i * 17;
      const fh = seededInt(s, 1, 4);
      const fw = seededInt(s + 1, 1, 4);
      const c: Case = {
        x: [
          seededInt(s + 2, 1, 3),
          seededInt(s + 3, fh, 11),
          seededInt(s + 4, fw, 11),
          seededInt(s + 5, 1, 9),
        ],
        f: [fh, fw],
        co: seededInt(s + 6, 1, 7),
        strides: [seededInt(s + 7, 1, 3), seededInt(s + 8, 1, 3)],
        pad:
          i % 3 === 2
            ? [
                [0, 0],
                [seededInt(s + 9, 0, 2), seededInt(s + 10, 0, 2)],
                [seededInt(s + 11, 0, 2), seededInt(s + 12, 0, 2)],
                [0, 0],
              ]
            : pads[i % 3],
      };
      const [cpu, wasm] = await onBackends(['cpu', 'wasm'], filterGrad(c, s));
      const err = relativeError(wasm, cpu);
      if (!(err <= KERNEL_RTOL))
        throw new Error(`case ${JSON.stringify(c)}: relative error ${err} > ${KERNEL_RTOL}`);
    }
  });

  it('accumulates im2col row blocks and supports dilation (vs the plain-loop reference)', async () => {
    await tf.setBackend('wasm');
    const xShape: [number, number, number, number] = [2, 10, 11, 5];
    const conv = tf.backend_util.computeConv2DInfo(xShape, [3, 3, 5, 4], [1, 2], [2, 3], 'same');
    const xv = seededFloats(2 * 10 * 11 * 5, 5);
    const dyv = seededFloats(2 * conv.outHeight * conv.outWidth * 4, 6);
    const x = tf.tensor4d(xv, xShape);
    const dy = tf.tensor4d(dyv, [2, conv.outHeight, conv.outWidth, 4]);
    // A block of 200 elements holds one output row at a time: forces many blocks.
    const info = conv2dFilterGradient(tf.backend() as unknown as WasmBackendLike, x, dy, conv, 200);
    const dw = tf.engine().makeTensorFromTensorInfo(info);
    expect(dw.shape).toEqual([3, 3, 5, 4]);
    expect(relativeError(await dw.data(), conv2dFilterGradientReference(xv, dyv, conv))).toBeLessThanOrEqual(
      KERNEL_RTOL,
    );
    tf.dispose([x, dy, dw]);
  });

  it('leaks no wasm memory or tensors', async () => {
    await tf.setBackend('wasm');
    const c = fixed[1][1];
    const before = tf.memory().numTensors;
    const bytes = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    tf.tidy(filterGrad(c, 3)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(bytes);
  });

  it('rejects NCHW with the value', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad: 'same',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 2, 3],
        },
      ),
    ).toThrow(/dataFormat must be NHWC, got NCHW/);
    tf.dispose([x, dy]);
  });
});
