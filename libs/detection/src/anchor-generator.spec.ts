import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AnchorGenerator, roundHalfEven, Size2 } from './anchor-generator';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';

interface AnchorsFixture {
  sizes: number[][];
  aspectRatios: number[][];
  cellAnchors: F32[];
  cases: { imageSize: [number, number]; featureSizes: [number, number][]; anchors: F32 }[];
  tiny: F32;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AnchorGenerator, hand-worked', () => {
  it('gives the 9 anchors of a 15×15 image, stride 5, size 10, ratio 1 (row-major locations)', () => {
    const gen = new AnchorGenerator([[10]], [[1]]);
    const got = Array.from(gen.anchors([15, 15], [[3, 3]]));
    const want: number[] = [];
    for (const y of [0, 5, 10]) for (const x of [0, 5, 10]) want.push(x - 5, y - 5, x + 5, y + 5);
    expect(got).toEqual(want);
  });

  it('rounds cell anchors half-to-even like torch (size 10, ratios 0.5/1/2)', () => {
    // ratio 0.5: w = 10·√2 = 14.14 → ±7.07 → ±7; h = 10/√2 = 7.07 → ±3.54 → ±4
    expect(Array.from(AnchorGenerator.generateCellAnchors([10], [0.5, 1, 2]))).toEqual([
      -7, -4, 7, 4, -5, -5, 5, 5, -4, -7, 4, 7,
    ]);
    expect([roundHalfEven(2.5), roundHalfEven(-2.5), roundHalfEven(3.5), roundHalfEven(-0.5)]).toEqual([
      2, -2, 4, -0,
    ]);
  });

  it('caches per shape and owns its device tensors', () => {
    const before = tf.memory().numTensors;
    const gen = new AnchorGenerator();
    const shapes: Size2[] = [
      [16, 24],
      [8, 12],
      [4, 6],
      [2, 3],
      [1, 2],
    ];
    expect(gen.anchors([64, 96], shapes)).toBe(gen.anchors([64, 96], shapes));
    const t = gen.anchorsTensor([64, 96], shapes);
    expect(t.shape).toEqual([3 * (384 + 96 + 24 + 6 + 2), 4]);
    expect(gen.anchorsTensor([64, 96], shapes)).toBe(t);
    expect(gen.numAnchorsPerLocation()).toEqual([3, 3, 3, 3, 3]);
    gen.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => gen.gridAnchors([[2, 2]], [[4, 4]])).toThrow(/anchor levels/);
  });
});

describe('AnchorGenerator vs torchvision 0.14 (test/fixtures/detection/ops/anchors.json), exact', () => {
  const fx = readOpsFixture<AnchorsFixture>('anchors');
  const gen = new AnchorGenerator(fx.sizes, fx.aspectRatios);
  afterAll(() => gen.dispose());

  it('cell anchors', () => {
    fx.cellAnchors.forEach((c, i) => expect(Array.from(gen.cellAnchors[i])).toEqual(Array.from(f32(c).data)));
  });

  it('FPN anchors for a padded batch and for sizes with integer-division strides', () => {
    for (const c of fx.cases) {
      expect(Array.from(gen.anchors(c.imageSize, c.featureSizes))).toEqual(Array.from(f32(c.anchors).data));
    }
  });

  it('the 27 anchors of a 15×15 image with 3 ratios', () => {
    const tiny = new AnchorGenerator([[10]], [[0.5, 1, 2]]);
    expect(Array.from(tiny.anchors([15, 15], [[3, 3]]))).toEqual(Array.from(f32(fx.tiny).data));
  });
});
