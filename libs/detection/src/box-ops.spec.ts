import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  boxArea,
  boxIou,
  boxIouTensor,
  clipBoxesToImage,
  clipBoxesToImageTensor,
  removeSmallBoxes,
  selectBoxes,
  xywhToXyxy,
} from './box-ops';
import { f32, F32, readOpsFixture } from './ops-fixture.testing';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

/** Host box ops are float32-exact; tensor versions get BOX_TOL. */
const BOX_TOL = 1e-4;

interface BoxOpsFixture {
  boxes1: F32;
  boxes2: F32;
  area1: F32;
  iou: F32;
  clipIn: F32;
  clipSize: [number, number];
  clipOut: F32;
  small: F32;
  smallMinSize: number;
  smallKeep: number[];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('box ops, hand-worked', () => {
  const a = new Float32Array([0, 0, 10, 10, 5, 5, 15, 15]);
  const b = new Float32Array([0, 0, 10, 10, 10, 10, 20, 20, 0, 0, 5, 20]);

  it('computes areas and IoU', () => {
    expect(Array.from(boxArea(a))).toEqual([100, 100]);
    // [0,0,10,10] vs [5,5,15,15]: inter 25, union 175
    const iou = boxIou(a, b);
    expect(iou[0]).toBe(1);
    expect(iou[1]).toBe(0); // touching corners
    expect(iou[2]).toBeCloseTo(50 / 150, 7);
    expect(iou[3]).toBeCloseTo(Math.fround(25 / 175), 7);
    expect(iou[4]).toBeCloseTo(25 / 175, 7);
  });

  it('clips, filters small boxes and converts formats', () => {
    expect(Array.from(clipBoxesToImage(new Float32Array([-3, 4, 120, 90]), [50, 100]))).toEqual([
      0, 4, 100, 50,
    ]);
    expect(
      Array.from(removeSmallBoxes(new Float32Array([0, 0, 1, 1, 0, 0, 0.5, 3, 2, 2, 4, 2.99]), 1)),
    ).toEqual([0]);
    expect(Array.from(xywhToXyxy(new Float32Array([1, 2, 3, 6])))).toEqual([1, 2, 4, 8]);
    expect(Array.from(selectBoxes(b, [2, 0]))).toEqual([0, 0, 5, 20, 0, 0, 10, 10]);
  });

  it('rejects flat arrays that are not groups of 4', () => {
    expect(() => boxArea(new Float32Array(5))).toThrow(/multiple of 4/);
  });
});

describe('box ops vs torchvision 0.14 (test/fixtures/detection/ops/box-ops.json)', () => {
  const fx = readOpsFixture<BoxOpsFixture>('box-ops');
  const b1 = f32(fx.boxes1).data;
  const b2 = f32(fx.boxes2).data;

  it('box_area and box_iou are bit-exact', () => {
    expect(maxAbsDiff(boxArea(b1), f32(fx.area1).data)).toBe(0);
    expect(maxAbsDiff(boxIou(b1, b2), f32(fx.iou).data)).toBe(0);
  });

  it(`boxIouTensor matches within ${BOX_TOL}`, () => {
    const got = tf.tidy(() =>
      boxIouTensor(tf.tensor2d(b1, [b1.length / 4, 4]), tf.tensor2d(b2, [b2.length / 4, 4])),
    );
    expect(maxAbsDiff(got.dataSync(), f32(fx.iou).data)).toBeLessThanOrEqual(BOX_TOL);
    got.dispose();
  });

  it('clip_boxes_to_image and remove_small_boxes match exactly', () => {
    const clipIn = f32(fx.clipIn).data;
    expect(maxAbsDiff(clipBoxesToImage(clipIn, fx.clipSize), f32(fx.clipOut).data)).toBe(0);
    const t = tf.tensor2d(clipIn, [clipIn.length / 4, 4]);
    const c = clipBoxesToImageTensor(t, fx.clipSize);
    expect(maxAbsDiff(c.dataSync(), f32(fx.clipOut).data)).toBe(0);
    tf.dispose([t, c]);
    expect(Array.from(removeSmallBoxes(f32(fx.small).data, fx.smallMinSize))).toEqual(fx.smallKeep);
  });
});
