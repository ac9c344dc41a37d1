import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BBOX_XFORM_CLIP, BoxCoder } from './box-coder';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** Boxes/deltas vs torchvision: host and device versions. */
const BOX_TOL = 1e-4;

interface BoxCoderFixture {
  reference: F32;
  proposals: F32;
  [k: string]: F32;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('BoxCoder, hand-worked', () => {
  it('encodes a shifted, doubled box with (10, 10, 5, 5)', () => {
    const coder = new BoxCoder([10, 10, 5, 5]);
    // proposal centre (5,5) w=h=10; gt centre (7,5) w=20 h=10
    const t = coder.encode(new Float32Array([-3, 0, 17, 10]), new Float32Array([0, 0, 10, 10]));
    expect(t[0]).toBeCloseTo(10 * (2 / 10), 6);
    expect(t[1]).toBeCloseTo(0, 6);
    expect(t[2]).toBeCloseTo(5 * Math.log(2), 5);
    expect(t[3]).toBeCloseTo(0, 6);
  });

  it('round-trips, and clamps dw/dh at log(1000/16)', () => {
    const coder = new BoxCoder([1, 1, 1, 1]);
    const props = new Float32Array([0, 0, 10, 10, 5, 5, 8, 20]);
    const gt = new Float32Array([1, 2, 13, 9, 4, 6, 9, 18]);
    const back = coder.decode(coder.encode(gt, props), props);
    expect(maxAbsDiff(back, gt)).toBeLessThanOrEqual(BOX_TOL);
    const huge = coder.decode(new Float32Array([0, 0, 100, 100]), new Float32Array([0, 0, 16, 16]));
    const side = Math.fround(Math.exp(Math.fround(BBOX_XFORM_CLIP))) * 16;
    expect(huge[2] - huge[0]).toBeCloseTo(side, 2); // ≈ 1000
  });

  it('rejects bad weights and mismatched inputs', () => {
    expect(() => new BoxCoder([1, 1, 0, 1])).toThrow(/positive/);
    expect(() => new BoxCoder([1, 1, 1, 1]).decode(new Float32Array(6), new Float32Array(4))).toThrow(
      /multiple/,
    );
  });
});

describe('BoxCoder vs torchvision 0.14 (test/fixtures/detection/ops/box-coder.json)', () => {
  const fx = readOpsFixture<BoxCoderFixture>('box-coder');
  const ref = f32(fx.reference).data;
  const props = f32(fx.proposals).data;
  const cases: [string, [number, number, number, number]][] = [
    ['rpn', [1, 1, 1, 1]],
    ['head', [10, 10, 5, 5]],
  ];

  it.each(cases)(`%s weights: encode/decode within ${BOX_TOL} (host and tensor)`, (name, w) => {
    const coder = new BoxCoder(w);
    const encoded = f32(fx[`${name}Encoded`]).data;
    const codes = f32(fx[`${name}Codes`]).data;
    const decoded = f32(fx[`${name}Decoded`]).data;
    expect(maxAbsDiff(coder.encode(ref, props), encoded)).toBeLessThanOrEqual(BOX_TOL);
    expect(maxAbsDiff(coder.decode(codes, props), decoded)).toBeLessThanOrEqual(BOX_TOL);
    const before = tf.memory().numTensors;
    const [e, d] = tf.tidy(() => {
      const p = tf.tensor2d(props, [20, 4]);
      return [
        coder.encodeTensor(tf.tensor2d(ref, [20, 4]), p),
        coder.decodeTensor(tf.tensor2d(codes, [20, 12]), p),
      ];
    });
    expect(d.shape).toEqual([20, 3, 4]);
    expect(maxAbsDiff(e.dataSync(), encoded)).toBeLessThanOrEqual(BOX_TOL);
    expect(maxAbsDiff(d.dataSync(), decoded)).toBeLessThanOrEqual(BOX_TOL);
    tf.dispose([e, d]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
