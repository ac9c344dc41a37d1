import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@resdet/random';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import {
  GeneralizedRCNNTransform,
  linearTaps,
  resizeBilinearTorch,
  resizeBoxes,
  resizedSize,
} from './transform';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** Normalised, resized, padded batch vs torchvision. */
const TRANSFORM_TOL = 1e-5;
const BOX_TOL = 1e-4;

interface TransformFixture {
  minSize: number;
  maxSize: number;
  mean: number[];
  std: number[];
  images: F32[];
  output: F32;
  imageSizes: [number, number][];
  targetBoxesIn: F32[];
  targetBoxesOut: F32[];
  sizes800: { input: [number, number]; output: [number, number]; batch: [number, number] }[];
  postprocessIn: F32;
  postprocessOut: F32;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('GeneralizedRCNNTransform, hand-worked', () => {
  it('computes output sizes with the float32 scale (427×640 → 799×1199, not 800)', () => {
    expect(resizedSize(480, 640, 800, 1333)).toEqual([800, 1066]);
    expect(resizedSize(427, 640, 800, 1333)).toEqual([799, 1199]);
    expect(resizedSize(500, 1500, 800, 1333)).toEqual([444, 1332]); // long side caps
  });

  it('keeps every side at least 1 pixel for thin strips and tiny images, and pads them to sizeDivisible', () => {
    // 2×3000: float32 scale 1333/3000 → 0.89×1332.99; torchvision floors the 0.89 to 0 and fails
    expect(resizedSize(2, 3000, 800, 1333)).toEqual([1, 1332]);
    expect(resizedSize(1, 4000, 800, 1333)).toEqual([1, 1333]);
    expect(resizedSize(3000, 2, 800, 1333)).toEqual([1332, 1]);
    expect(resizedSize(1, 1, 800, 1333)).toEqual([800, 800]);
    expect(resizedSize(33, 1, 800, 1333)).toEqual([1333, 40]);
    const t = new GeneralizedRCNNTransform({ minSize: 800, maxSize: 1333 });
    const img = tf.ones([2, 3000, 3]) as tf.Tensor3D;
    const { tensors, imageSizes } = t.forward([img]);
    expect(imageSizes).toEqual([[1, 1332]]);
    expect(tensors.shape).toEqual([1, 32, 1344, 3]);
    tf.dispose([img, tensors]);
  });

  it('doubles a 2×2 image like torch bilinear (align_corners=False)', () => {
    // src = 0.5·(o + 0.5) - 0.5 → [-0.25→0, 0.25, 0.75, 1.25→ clamp hi] ; row [0, 1] → [0, .25, .75, 1]
    const t = linearTaps(2, 4);
    expect(Array.from(t.i0)).toEqual([0, 0, 0, 1]);
    expect(Array.from(t.l1)).toEqual([0, 0.25, 0.75, 0.25]);
    const img = tf.tensor3d([0, 1, 2, 3], [2, 2, 1]);
    const out = resizeBilinearTorch(img, 4, 4);
    expect(Array.from(out.dataSync().slice(0, 4))).toEqual([0, 0.25, 0.75, 1]);
    tf.dispose([img, out]);
  });

  it('pads to multiples of 32 with zeros bottom/right and maps boxes both ways', () => {
    const tr = new GeneralizedRCNNTransform({ minSize: 40, maxSize: 100, imageMean: [0], imageStd: [1] });
    const before = tf.memory().numTensors;
    const img = tf.ones([20, 30, 1]) as tf.Tensor3D;
    const { tensors, imageSizes } = tr.forward([img]);
    expect(imageSizes).toEqual([[40, 60]]);
    expect(tensors.shape).toEqual([1, 64, 64, 1]);
    const d = tensors.dataSync();
    expect(d[39 * 64 + 59]).toBe(1);
    expect(d[40 * 64 + 10]).toBe(0);
    expect(d[10 * 64 + 60]).toBe(0);
    tf.dispose([img, tensors]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(resizeBoxes(new Float32Array([2, 4, 6, 8]), [20, 30], [40, 60]))).toEqual([
      4, 8, 12, 16,
    ]);
    expect(Array.from(tr.postprocessBoxes(new Float32Array([4, 8, 12, 16]), [40, 60], [20, 30]))).toEqual([
      2, 4, 6, 8,
    ]);
    expect(() => tr.forward([tf.zeros([4, 4, 3]) as tf.Tensor3D])).toThrow(/expected \[H, W, 1\]/);
  });

  it('picks a random short side from the list in training, the last in eval', () => {
    const tr = new GeneralizedRCNNTransform({ minSize: [32, 64], maxSize: 1000 });
    const img = tf.zeros([10, 10, 3]) as tf.Tensor3D;
    const seen = new Set<number>();
    const rng = new Rng(1);
    for (let i = 0; i < 12; i++) {
      const b = tr.forward([img], [new Float32Array([1, 1, 5, 5])], rng);
      seen.add(b.imageSizes[0][0]);
      expect(b.targets?.[0][2]).toBeCloseTo((5 * b.imageSizes[0][0]) / 10, 5);
      b.tensors.dispose();
    }
    expect([...seen].sort()).toEqual([32, 64]);
    const e = tr.forward([img]);
    expect(e.imageSizes).toEqual([[64, 64]]);
    tf.dispose([img, e.tensors]);
  });
});

describe(`GeneralizedRCNNTransform vs torchvision 0.14 (test/fixtures/detection/ops/transform.json), ${TRANSFORM_TOL}`, () => {
  const fx = readOpsFixture<TransformFixture>('transform');

  it('output sizes and batch sizes at 800/1333 match exactly', () => {
    for (const s of fx.sizes800) {
      const out = resizedSize(s.input[0], s.input[1], 800, 1333);
      expect(out).toEqual(s.output);
      expect(out.map((v) => Math.ceil(v / 32) * 32)).toEqual(s.batch);
    }
  });

  it('normalised, resized, padded batch of two differently sized noise images', () => {
    const tr = new GeneralizedRCNNTransform({
      minSize: fx.minSize,
      maxSize: fx.maxSize,
      imageMean: fx.mean,
      imageStd: fx.std,
    });
    const imgs = fx.images.map((i) => tf.tensor3d(f32(i).data, i.shape as [number, number, number]));
    const { tensors, imageSizes } = tr.forward(imgs);
    expect(imageSizes).toEqual(fx.imageSizes);
    expect(tensors.shape).toEqual(fx.output.shape);
    expect(maxAbsDiff(tensors.dataSync(), f32(fx.output).data)).toBeLessThanOrEqual(TRANSFORM_TOL);
    // training targets are resized along
    const withTargets = tr.forward(
      imgs,
      fx.targetBoxesIn.map((b) => f32(b).data),
      new Rng(0),
    );
    withTargets.targets?.forEach((b, i) =>
      expect(maxAbsDiff(b, f32(fx.targetBoxesOut[i]).data)).toBeLessThanOrEqual(BOX_TOL),
    );
    tf.dispose([...imgs, tensors, withTargets.tensors]);
  });

  it('postprocess maps boxes back to the original size', () => {
    const tr = new GeneralizedRCNNTransform();
    const got = tr.postprocessBoxes(f32(fx.postprocessIn).data, fx.imageSizes[0], [37, 50]);
    expect(maxAbsDiff(got, f32(fx.postprocessOut).data)).toBeLessThanOrEqual(BOX_TOL);
  });
});
