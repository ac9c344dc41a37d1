import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { rgbToTensor } from './image-tensor';

describe('rgbToTensor', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('maps uint8 HWC to float [H, W, 3] in 0–1 and checks the byte count', () => {
    const t = rgbToTensor({ width: 2, height: 1, data: Uint8Array.from([0, 51, 255, 102, 204, 0]) });
    expect(t.shape).toEqual([1, 2, 3]);
    expect(Array.from(t.dataSync())).toEqual([0, 0.2, 1, 0.4, 0.8, 0].map((x) => Math.fround(x)));
    t.dispose();
    expect(() => rgbToTensor({ width: 2, height: 2, data: new Uint8Array(6) })).toThrow(
      /6 bytes, expected 2×2×3/,
    );
  });
});
