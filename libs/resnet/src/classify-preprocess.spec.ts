import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGENET_MEAN, IMAGENET_STD, preprocessForClassification, topK } from './index';

describe('preprocessForClassification', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('uses a crop×crop image as it is: only (x/255 − mean)/std', () => {
    const data = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => i * 5);
    const x = preprocessForClassification({ data, width: 4, height: 4 }, { resize: 8, crop: 4 });
    expect(x.shape).toEqual([1, 4, 4, 3]);
    const v = x.dataSync();
    for (const i of [0, 1, 2, 47])
      expect(v[i]).toBeCloseTo((data[i] / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3], 5);
    x.dispose();
  });

  it('resizes the short side (torchvision sizes) and centre-crops with round((n − crop)/2)', () => {
    // 6 wide × 3 high, resize 6 → 12×6, crop 4: rows 1..4, cols 4..7. A constant image stays constant.
    const data = new Uint8Array(6 * 3 * 3).fill(255);
    const x = preprocessForClassification({ data, width: 6, height: 3 }, { resize: 6, crop: 4 });
    expect(x.shape).toEqual([1, 4, 4, 3]);
    expect(x.dataSync()[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    x.dispose();
    expect(() => preprocessForClassification({ data, width: 6, height: 3 }, { resize: 2, crop: 4 })).toThrow(
      /smaller than crop/,
    );
  });

  it('topK gives softmax probabilities, highest first', () => {
    const t = topK([0, Math.log(3), 0], 2);
    expect(t[0][0]).toBe(1);
    expect(t[0][1]).toBeCloseTo(0.6, 6);
    expect(t[1]).toEqual([0, expect.closeTo(0.2, 6)]);
  });
});
