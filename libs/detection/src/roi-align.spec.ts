import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAllGradients } from '@resdet/nn';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import { roiAlign, roiAlignReference } from './roi-align';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** RoIAlign outputs and input gradients vs torchvision. */
const ROI_ALIGN_TOL = 1e-5;

interface RoiAlignFixture {
  features: F32;
  rois: F32;
  cases: {
    outputSize: [number, number];
    samplingRatio: number;
    spatialScale: number;
    aligned: boolean;
    output: F32;
    upstream: F32;
    gradInput: F32;
  }[];
}

beforeAll(async () => {
  registerAllGradients();
  await tf.setBackend('cpu');
});

describe('roiAlign, hand-worked', () => {
  // 4×4 single-channel ramp: value(y, x) = 4y + x
  const ramp = Float32Array.from({ length: 16 }, (_, i) => i);
  const shape = [1, 4, 4, 1] as const;

  it('samples bin centres bilinearly and zeroes samples beyond the -1/H borders', () => {
    const rois = new Float32Array([0, 0, 0, 3, 3, 0, 10, 10, 14, 14, 0, 2.5, 0, 3.5, 1]);
    const out = roiAlignReference(ramp, shape, rois, { outputSize: 1, spatialScale: 1, samplingRatio: 1 });
    expect(out[0]).toBeCloseTo(4 * 1.5 + 1.5, 6); // centre (1.5, 1.5)
    expect(out[1]).toBe(0); // sample at (12, 12): outside
    // centre x = 3.0 → low corner 3 ≥ W-1 snaps to column 3; y = 0.5
    expect(out[2]).toBeCloseTo(4 * 0.5 + 3, 6);
    const t = tf.tensor4d(ramp, [...shape]);
    const got = roiAlign(t, rois, { outputSize: 1, spatialScale: 1, samplingRatio: 1 });
    expect(got.shape).toEqual([3, 1, 1, 1]);
    expect(maxAbsDiff(got.dataSync(), out)).toBeLessThanOrEqual(1e-6);
    tf.dispose([t, got]);
  });

  it('averages a 2×2 grid per bin and handles zero RoIs', () => {
    const out = roiAlignReference(ramp, shape, new Float32Array([0, 0, 0, 2, 2]), {
      outputSize: 1,
      spatialScale: 1,
      samplingRatio: 2,
    });
    // samples at 0.5 and 1.5 on both axes → mean position (1, 1)
    expect(out[0]).toBeCloseTo(5, 6);
    const t = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const empty = roiAlign(t, new Float32Array(0), { outputSize: 7, spatialScale: 1, samplingRatio: 2 });
    expect(empty.shape).toEqual([0, 7, 7, 3]);
    tf.dispose([t, empty]);
    expect(() =>
      roiAlignReference(ramp, shape, new Float32Array([1, 0, 0, 1, 1]), {
        outputSize: 1,
        spatialScale: 1,
        samplingRatio: 1,
      }),
    ).toThrow(/batch index 1/);
  });
});

describe(`roiAlign vs torchvision 0.14 (test/fixtures/detection/ops/roi-align.json), tolerance ${ROI_ALIGN_TOL}`, () => {
  const fx = readOpsFixture<RoiAlignFixture>('roi-align');
  const feat = f32(fx.features);
  const rois = f32(fx.rois).data;
  const shape = feat.shape as [number, number, number, number];

  it.each(
    fx.cases.map((c) => [
      `${c.outputSize} sr=${c.samplingRatio} scale=${c.spatialScale} aligned=${c.aligned}`,
      c,
    ]),
  )('forward and gradient, %s', (_name, c) => {
    const opts = {
      outputSize: c.outputSize,
      spatialScale: c.spatialScale,
      samplingRatio: c.samplingRatio,
      aligned: c.aligned,
    };
    const want = f32(c.output).data;
    expect(maxAbsDiff(roiAlignReference(feat.data, shape, rois, opts), want)).toBeLessThanOrEqual(
      ROI_ALIGN_TOL,
    );
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(feat.data, shape);
    const upstream = tf.tensor(f32(c.upstream).data, f32(c.upstream).shape);
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) =>
      tf.sum(tf.mul(roiAlign(t as tf.Tensor4D, rois, opts), upstream)),
    )(x);
    const out = roiAlign(x, rois, opts);
    expect(out.shape).toEqual(f32(c.output).shape);
    expect(maxAbsDiff(out.dataSync(), want)).toBeLessThanOrEqual(ROI_ALIGN_TOL);
    expect(maxAbsDiff(grad.dataSync(), f32(c.gradInput).data)).toBeLessThanOrEqual(ROI_ALIGN_TOL);
    tf.dispose([x, upstream, value, grad, out]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
