import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAllGradients } from '@resdet/nn';
import {
  inferScale,
  LevelMapper,
  MultiScaleRoIAlign,
  setupScales,
  toRoiFormat,
} from './multi-scale-roi-align';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import { roiAlign } from './roi-align';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** Pooled features vs torchvision (RoIAlign tolerance). */
const ROI_ALIGN_TOL = 1e-5;

interface MultiScaleFixture {
  imageSizes: [number, number][];
  features: F32[];
  boxes: F32[];
  scales: number[];
  levels: number[];
  output: F32;
}

beforeAll(async () => {
  registerAllGradients();
  await tf.setBackend('cpu');
});

describe('LevelMapper and scale inference, hand-worked', () => {
  it('maps box sizes to FPN levels with canonical 224 → level 4', () => {
    const m = new LevelMapper(2, 5);
    // sqrt(area) = 224 → 4; 112 → 3; 448 → 5; 56 → 2; 20 → clamped to 2; 2000 → clamped to 5
    const b = (s: number) => [0, 0, s, s];
    const levels = m.map([
      new Float32Array([...b(224), ...b(112), ...b(448), ...b(56), ...b(20), ...b(2000)]),
    ]);
    expect(Array.from(levels)).toEqual([2, 1, 3, 0, 0, 3]);
  });

  it('infers power-of-two scales and kMin/kMax from feature vs image size', () => {
    expect(inferScale(200, 800)).toBe(0.25);
    expect(inferScale(13, 800)).toBe(1 / 64); // 0.01625 → log2 = -5.94 → -6
    const { scales, mapper } = setupScales(
      [200, 100, 50, 25],
      [
        [800, 1216],
        [760, 1000],
      ],
    );
    expect(scales).toEqual([1 / 4, 1 / 8, 1 / 16, 1 / 32]);
    expect([mapper.kMin, mapper.kMax]).toEqual([2, 5]);
    expect(Array.from(toRoiFormat([new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8])]))).toEqual(
      [0, 1, 2, 3, 4, 1, 5, 6, 7, 8],
    );
  });

  it('with a single level pools like plain roiAlign at the inferred scale', () => {
    const x = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const boxes = new Float32Array([0, 0, 30, 30, 4, 8, 60, 40]);
    const a = new MultiScaleRoIAlign({ outputSize: 3, samplingRatio: 2 }).forward([x], [boxes], [[64, 64]]);
    const b = roiAlign(x, toRoiFormat([boxes]), { outputSize: 3, spatialScale: 1 / 8, samplingRatio: 2 });
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    tf.dispose([x, a, b]);
  });
});

describe(`MultiScaleRoIAlign vs torchvision 0.14 (test/fixtures/detection/ops/multi-scale-roi-align.json), ${ROI_ALIGN_TOL}`, () => {
  const fx = readOpsFixture<MultiScaleFixture>('multi-scale-roi-align');
  const boxes = fx.boxes.map((b) => f32(b).data);

  it('scales and levels match exactly', () => {
    const { scales, mapper } = setupScales(
      fx.features.map((x) => x.shape[1]),
      fx.imageSizes,
    );
    expect(scales).toEqual(fx.scales);
    expect(Array.from(mapper.map(boxes))).toEqual(fx.levels);
  });

  it('pooled output in the original RoI order, with no leaked tensors and a gradient for every level', () => {
    const before = tf.memory().numTensors;
    const feats = fx.features.map((x) =>
      tf.tensor4d(f32(x).data, x.shape as [number, number, number, number]),
    );
    const pooler = new MultiScaleRoIAlign({ outputSize: 7, samplingRatio: 2 });
    const out = pooler.forward(feats, boxes, fx.imageSizes);
    expect(out.shape).toEqual(fx.output.shape);
    expect(maxAbsDiff(out.dataSync(), f32(fx.output).data)).toBeLessThanOrEqual(ROI_ALIGN_TOL);
    const grads = tf.grads((...xs: tf.Tensor[]) =>
      tf.sum(pooler.forward(xs as tf.Tensor4D[], boxes, fx.imageSizes)),
    )(feats);
    // d(sum)/d(features) summed = number of pooled cells × channel count of in-bounds samples: just check that every
    // level that received RoIs got a non-zero gradient of the right shape
    grads.forEach((g, l) => {
      expect(g.shape).toEqual(feats[l].shape);
      const used = fx.levels.includes(l);
      expect(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]) > 0).toBe(used);
    });
    tf.dispose([...feats, out, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
