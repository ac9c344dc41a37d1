/**
 * API throughput vs the raw Detector on the same images, in one process:
 *   node tools/build.js && node -r ./tools/register.js bench/api-load.ts [--weights W] [--seconds 10] [--size 128]
 *     [--workers 1,2] [--concurrency 1,4,16] [--rounds 1]
 * Without --weights a random-weight shapes-demo detector is used (same compute as a trained one).
 * Prints the raw Detector's img/s (batch 1 and 4, in this thread), then for each model-worker count (`serve
 * --workers`; 1 = the model in the server thread) and each client concurrency: requests/s, p50/p99 latency and
 * the ratio to raw batch 1. All servers are up at once and the runs alternate between them (`--rounds` times),
 * so a shared machine's changing load hits each alike; the load average is printed before and after.
 */
import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { INestApplication } from '@nestjs/common';
import { Detector, openDetector } from '@resdet/inference';
import { decodeImage } from '@resdet/data';
import { createApiApp } from '../apps/api/src/create-api-app';
import { resolveApiSettings } from '../apps/api/src/config/api-settings';
import { writeTinyDetector } from '@resdet/testing';
// Pointed at the built worker: the TypeScript sources this bench runs from have no worker .js beside them.
import { openDetectorPool } from '../libs/inference/src/detector-pool';

const WORKER = path.resolve(__dirname, '..', 'dist', 'libs', 'inference', 'src', 'detector-worker.js');

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const list = (name: string, dflt: string) => arg(name, dflt).split(',').map(Number);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '10'));
  const size = Number(arg('size', '128'));
  const workerCounts = list('workers', '1');
  const concurrencies = list('concurrency', '1,4,16');
  const rounds = Number(arg('rounds', '1'));
  const backend = arg('backend', 'wasm');
  const weights =
    arg('weights', '') || (await writeTinyDetector(mkdtempSync(path.join(tmpdir(), 'resdet-bench-'))));
  console.log(`${availableParallelism()} cores, load average ${load()} (1, 5, 15 min)`);
  const detector = await openDetector({ weights, backend, engine: 'tfjs' });
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

  // One server per worker count, all up before the first run.
  const servers: { workers: number; app: INestApplication; port: number; detector: Detector }[] = [];
  for (const workers of workerCounts) {
    let served = detector;
    if (workers > 1) {
      const pool = await openDetectorPool({ weights, backend, engine: 'tfjs' }, workers, WORKER);
      served = new Detector(pool.engine, pool.arch, pool.labels);
    }
    const app = await createApiApp({
      // the in-thread detector is shared with the raw runs: its app must not dispose it
      detector:
        workers > 1
          ? served
          : { info: served.info, predict: served.predict.bind(served), dispose: () => undefined },
      settings: resolveApiSettings({ maxBatchSize: 4, maxBatchWaitMs: 5, maxQueue: 256 }),
      logLevel: 'silent',
    });
    await app.listen(0);
    const port = (app.getHttpServer().address() as { port: number }).port;
    servers.push({ workers, app, port, detector: served });
  }

  console.log(
    'workers | concurrency | req/s | p50 ms | p99 ms | vs raw batch 1 | non-2xx | load avg (1 min)',
  );
  for (let round = 0; round < rounds; round++) {
    for (const connections of concurrencies) {
      for (const { workers, port } of servers) {
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
          `${String(workers).padStart(7)} | ${String(connections).padStart(11)} | ${rps.toFixed(2).padStart(5)} | ${r.latency.p50.toFixed(0).padStart(6)} | ${r.latency.p99.toFixed(0).padStart(6)} | ${(rps / raw1).toFixed(2).padStart(13)}× | ${String(r.non2xx).padStart(7)} | ${loadavg()[0].toFixed(2)}`,
        );
      }
    }
  }
  for (const s of servers) await s.app.close();
  await detector.release();
  console.log(`load average after: ${load()}`);
}

void main();
