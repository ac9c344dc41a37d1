import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAllGradients } from '@resdet/nn';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import { roiPool, roiPoolReference } from './roi-pool';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** RoIPool picks input values: exact, gradients too. */
const ROI_POOL_TOL = 0;

interface RoiPoolFixture {
  features: F32;
  rois: F32;
  outputSize: [number, number];
  spatialScale: number;
  output: F32;
  upstream: F32;
  gradInput: F32;
}

beforeAll(async () => {
  registerAllGradients();
  await tf.setBackend('cpu');
});

describe('roiPool, hand-worked', () => {
  it('max-pools rounded bins and zeroes empty ones', () => {
    const ramp = Float32Array.from({ length: 16 }, (_, i) => i); // 4×4, value 4y + x
    // whole map into 2×2 bins → maxima at (1,1), (1,3), (3,1), (3,3); a RoI beyond the map → zeros
    const out = roiPoolReference(ramp, [1, 4, 4, 1], new Float32Array([0, 0, 0, 3, 3, 0, 10, 10, 12, 12]), {
      outputSize: 2,
      spatialScale: 1,
    });
    expect(Array.from(out)).toEqual([5, 7, 13, 15, 0, 0, 0, 0]);
  });
});

describe('roiPool vs torchvision 0.14 (test/fixtures/detection/ops/roi-pool.json), exact', () => {
  const fx = readOpsFixture<RoiPoolFixture>('roi-pool');
  const feat = f32(fx.features);
  const shape = feat.shape as [number, number, number, number];
  const rois = f32(fx.rois).data;
  const opts = { outputSize: fx.outputSize, spatialScale: fx.spatialScale };

  it('forward (reference and tensor) and gradient', () => {
    expect(maxAbsDiff(roiPoolReference(feat.data, shape, rois, opts), f32(fx.output).data)).toBe(
      ROI_POOL_TOL,
    );
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(feat.data, shape);
    const up = tf.tensor(f32(fx.upstream).data, f32(fx.upstream).shape);
    const out = roiPool(x, rois, opts);
    expect(out.shape).toEqual(f32(fx.output).shape);
    expect(maxAbsDiff(out.dataSync(), f32(fx.output).data)).toBe(ROI_POOL_TOL);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roiPool(t as tf.Tensor4D, rois, opts), up)))(x);
    expect(maxAbsDiff(g.dataSync(), f32(fx.gradInput).data)).toBeLessThanOrEqual(1e-6);
    tf.dispose([x, up, out, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
