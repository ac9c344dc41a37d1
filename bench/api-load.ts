/**
 * API throughput vs the raw Detector on the same images, in one process:
 *   node -r ./tools/register.js bench/api-load.ts [--weights W] [--seconds 10] [--size 128]
 * Without --weights a random-weight shapes-demo detector is used (same compute as a trained one).
 * Prints img/s and p50/p99 latency at concurrency 1, 4 and 16, and the ratio to raw throughput.
 */
import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { openDetector } from '@resdet/inference';
import { decodeImage } from '@resdet/data';
import { createApiApp } from '../apps/api/src/create-api-app';
import { resolveApiSettings } from '../apps/api/src/config/api-settings';
import { writeTinyDetector } from '@resdet/testing';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '10'));
  const size = Number(arg('size', '128'));
  const weights =
    arg('weights', '') || (await writeTinyDetector(mkdtempSync(path.join(tmpdir(), 'resdet-bench-'))));
  const detector = await openDetector({ weights, backend: arg('backend', 'wasm') });
  const noise = Buffer.alloc(size * size * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  const jpeg = await sharp(noise, { raw: { width: size, height: size, channels: 3 } })
    .jpeg()
    .toBuffer();

  // raw: decode + predict, one image at a time and in batches of 4, for `seconds`
  const image = await decodeImage(jpeg, 'bench');
  const raw = async (batch: number) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const imgs = await Promise.all(Array.from({ length: batch }, () => decodeImage(jpeg, 'bench')));
      await detector.predict(imgs);
      n += batch;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  await detector.predict([image]);
  const raw1 = await raw(1);
  const raw4 = await raw(4);
  console.log(
    `raw Detector: ${raw1.toFixed(2)} img/s (batch 1), ${raw4.toFixed(2)} img/s (batch 4), ${size}×${size}, ${detector.info.backend}`,
  );

  const app = await createApiApp({
    detector: { info: detector.info, predict: detector.predict.bind(detector), dispose: () => undefined },
    settings: resolveApiSettings({ maxBatchSize: 4, maxBatchWaitMs: 5, maxQueue: 256 }),
    logLevel: 'silent',
  });
  await app.listen(0);
  const port = (app.getHttpServer().address() as { port: number }).port;
  console.log('concurrency | img/s | p50 ms | p99 ms | vs raw batch 1 | non-2xx');
  for (const connections of [1, 4, 16]) {
    const r = await autocannon({
      url: `http://127.0.0.1:${port}/v1/detect`,
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: jpeg,
      connections,
      duration: seconds,
    });
    const rps = r.requests.average;
    console.log(
      `${String(connections).padStart(11)} | ${rps.toFixed(2).padStart(5)} | ${r.latency.p50.toFixed(0).padStart(6)} | ${r.latency.p99.toFixed(0).padStart(6)} | ${(rps / raw1).toFixed(2).padStart(14)}× | ${r.non2xx}`,
    );
  }
  await app.close();
  detector.dispose();
}

void main();
