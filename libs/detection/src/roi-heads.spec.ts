import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fastrcnnLoss } from './roi-heads';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fastrcnnLoss (torchvision fastrcnn_loss, hand-worked)', () => {
  it('averages CE over all sampled RoIs and smooth-L1 of positives at their class over the same count', () => {
    // 2 RoIs, 2 classes. RoI 0: label 1 (positive), RoI 1: background.
    const logits = tf.tensor2d([
      [0, 0],
      [Math.log(3), 0],
    ]);
    // class 1 deltas of RoI 0 are (1, 0, 0, 0) vs target 0 → smooth-L1 = 1 − 0.5/9; class 0 deltas are ignored.
    const reg = tf.tensor2d([
      [9, 9, 9, 9, 1, 0, 0, 0],
      [5, 5, 5, 5, 5, 5, 5, 5],
    ]);
    const { loss_classifier, loss_box_reg } = fastrcnnLoss(
      logits,
      reg,
      Int32Array.of(1, 0),
      new Float32Array(8),
    );
    expect(loss_classifier.dataSync()[0]).toBeCloseTo((Math.log(2) + -Math.log(3 / 4)) / 2, 6);
    expect(loss_box_reg.dataSync()[0]).toBeCloseTo((1 - 0.5 / 9) / 2, 6);
  });
});
