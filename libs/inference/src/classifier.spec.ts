import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeSafetensors } from '@resdet/checkpoint';
import { Rng } from '@resdet/random';
import { initRuntime } from '@resdet/runtime';
import { buildResNet, preprocessForClassification, topK } from '@resdet/resnet';
import { openClassifier } from './classifier';

describe('openClassifier', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-classifier-'));
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the class count from the checkpoint and gives the model’s logits and top-5', async () => {
    const weights = path.join(dir, 'r18.safetensors');
    const rng = new Rng(3);
    const reference = buildResNet('resnet18', { numClasses: 7, rng });
    writeSafetensors(weights, reference.stateDict());
    reference.eval();
    const image = {
      width: 40,
      height: 30,
      data: Uint8Array.from({ length: 40 * 30 * 3 }, () => rng.int(256)),
    };

    const classifier = await openClassifier({
      arch: 'resnet18',
      weights,
      resize: 36,
      crop: 32,
      backend: 'cpu',
    });
    await classifier.classify(image); // the first call fills the layers' eval-mode caches
    const before = tf.memory().numTensors;
    const { logits, top5 } = await classifier.classify(image);
    expect(tf.memory().numTensors).toBe(before);
    classifier.dispose();

    const expected = tf.tidy(() =>
      reference.forward(preprocessForClassification(image, { resize: 36, crop: 32 })),
    );
    const want = Array.from(expected.dataSync());
    tf.dispose([expected]);
    reference.dispose();
    expect(logits).toHaveLength(7);
    expect(logits).toEqual(want);
    expect(top5).toEqual(topK(want, 5));
  });

  it('names the checkpoint and arch when the weights do not fit', async () => {
    const weights = path.join(dir, 'r18-small.safetensors');
    const other = buildResNet('resnet18', { numClasses: 4, baseChannels: 8, skipInit: true });
    writeSafetensors(weights, other.stateDict());
    other.dispose();
    await expect(openClassifier({ arch: 'resnet18', weights, backend: 'cpu' })).rejects.toThrow(
      /r18-small\.safetensors \(--arch resnet18\)/,
    );
  });
});
