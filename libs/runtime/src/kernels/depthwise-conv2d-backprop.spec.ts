import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { depthwiseFilterGradientReference, depthwiseInputGradientReference } from './reference';
import { registerResdetKernels } from './register';
import { KERNEL_RTOL, onBackends, relativeError, seededFloats, seededInt } from './testing';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

describe('Depthwise conv gradients on wasm (within KERNEL_RTOL)', () => {
  beforeAll(() => {
    registerResdetKernels();
  });

  it('match cpu on random shapes, multipliers, strides, dilations and paddings', async () => {
    const pads: Pad[] = [
      'same',
      'valid',
      [
        [0, 0],
        [1, 0],
        [0, 2],
        [0, 0],
      ],
    ];
    for (let i = 0; i < 12; i++) {
      const s = 300 + i * 7;
      const x: [number, number, number, number] = [
        seededInt(s, 1, 2),
        seededInt(s + 1, 4, 9),
        seededInt(s + 2, 4, 9),
        seededInt(s + 3, 1, 5),
      ];
      const m = seededInt(s + 4, 1, 3);
      const f: [number, number, number, number] = [seededInt(s + 5, 1, 3), seededInt(s + 6, 1, 3), x[3], m];
      // tfjs requires stride 1 when dilation > 1.
      const dil = i % 4 === 3 ? ([2, 2] as [number, number]) : ([1, 1] as [number, number]);
      const strides =
        dil[0] > 1
          ? ([1, 1] as [number, number])
          : ([seededInt(s + 7, 1, 2), seededInt(s + 8, 1, 2)] as [number, number]);
      const pad = pads[i % 3];
      const conv = tf.backend_util.computeConv2DInfo(x, f, strides, dil, pad, undefined, true);
      const dyShape = [x[0], conv.outHeight, conv.outWidth, x[3] * m];
      const xv = seededFloats(
        x.reduce((a, b) => a * b),
        s,
      );
      const fv = seededFloats(
        f.reduce((a, b) => a * b),
        s + 1,
      );
      const dyv = seededFloats(
        dyShape.reduce((a, b) => a * b),
        s + 2,
      );
      const [cpuF, wasmF] = await onBackends(
        ['cpu', 'wasm'],
        () =>
          tf.engine().runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: tf.tensor(xv, x), dy: tf.tensor(dyv, dyShape) },
            {
              strides,
              dilations: dil,
              pad,
              filterShape: f,
            },
          ) as tf.Tensor,
      );
      const [cpuI, wasmI] = await onBackends(
        ['cpu', 'wasm'],
        () =>
          tf.engine().runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(fv, f) },
            {
              strides,
              dilations: dil,
              pad,
              inputShape: x,
            },
          ) as tf.Tensor,
      );
      const where = `case ${i}: x ${x} f ${f} strides ${strides} dil ${dil} pad ${JSON.stringify(pad)}`;
      // tfjs-backend-cpu 4.22 ignores dilation in these two kernels: dilated cases use the plain reference.
      const refF = dil[0] > 1 ? depthwiseFilterGradientReference(xv, dyv, conv) : cpuF;
      const refI = dil[0] > 1 ? depthwiseInputGradientReference(dyv, fv, conv) : cpuI;
      expect([where, relativeError(wasmF, refF) <= KERNEL_RTOL]).toEqual([where, true]);
      expect([where, relativeError(wasmI, refI) <= KERNEL_RTOL]).toEqual([where, true]);
    }
  });
});
