/**
 * Batch detection over a generated folder, as `detect` runs it (decode ahead, batches, streamed NDJSON):
 *   node -r ./tools/register.js bench/detect-folder.ts [--weights W] [--count 64] [--size 128]
 * Prints images/s at batch 1 and batch 4 and tf.memory().numTensors before and after (must be equal).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { openDetector, listImageFiles, ResultsWriter, runDetectJob } from '@resdet/inference';
import { readImage } from '@resdet/data';
import { writeTinyDetector } from '@resdet/testing';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

async function main(): Promise<void> {
  const count = Number(arg('count', '64'));
  const size = Number(arg('size', '128'));
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-folder-'));
  const dir = path.join(root, 'images');
  mkdirSync(dir);
  for (let i = 0; i < count; i++) {
    const px = Buffer.alloc(size * size * 3);
    for (let k = 0; k < px.length; k++) px[k] = ((k + 1) * (i + 7) * 2654435761) >>> 24;
    await sharp(px, { raw: { width: size, height: size, channels: 3 } })
      .jpeg()
      .toFile(path.join(dir, `${String(i).padStart(5, '0')}.jpg`));
  }
  const weights = arg('weights', '') || (await writeTinyDetector(root));
  const detector = await openDetector({ weights, backend: arg('backend', 'wasm') });
  const items = await listImageFiles([dir]);
  for (const batchSize of [1, 4]) {
    const before = tf.memory().numTensors;
    const writer = await ResultsWriter.open(path.join(root, `out-b${batchSize}.ndjson`), 'ndjson');
    const s = await runDetectJob(detector, items, { batchSize, decode: (f) => readImage(f), writer });
    await writer.close();
    const after = tf.memory().numTensors;
    console.log(
      `batch ${batchSize}: ${s.processed} images ${size}×${size} in ${s.seconds.toFixed(2)} s = ${(s.processed / s.seconds).toFixed(2)} img/s ` +
        `(${detector.info.backend}); numTensors before ${before}, after ${after}${before === after ? '' : '  ← LEAK'}`,
    );
  }
  detector.dispose();
}

void main();
