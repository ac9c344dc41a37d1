/**
 * API soak: 1,000 requests at concurrency 8 mixing valid images of every format and odd size with hostile
 * uploads and query strings (see api-soak-cases.ts), against an in-process server on loopback:
 *   node -r ./tools/register.js bench/api-soak.ts [--weights W] [--requests 1000] [--concurrency 8]
 * Without --weights a random-weight shapes-demo detector is used. Prints status counts, p50/p99, RSS and
 * tf.memory().numTensors before/after, /health and /metrics' resident memory; exits 1 when a requirement
 * fails (a 5xx other than 503 with Retry-After, a dropped connection, a hostile upload not answered 4xx,
 * SVG/PDF not 415, /health down, tensors grown).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openDetector } from '@resdet/inference';
import { createApiApp } from '../apps/api/src/create-api-app';
import { resolveApiSettings } from '../apps/api/src/config/api-settings';
import { writeTinyDetector } from '@resdet/testing';
import { buildSoakCases, runSoak } from './api-soak-cases';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

async function main(): Promise<void> {
  const requests = Number(arg('requests', '1000'));
  const concurrency = Number(arg('concurrency', '8'));
  const weights =
    arg('weights', '') || (await writeTinyDetector(mkdtempSync(path.join(tmpdir(), 'resdet-soak-'))));
  const detector = await openDetector({ weights, backend: arg('backend', 'wasm') });
  const app = await createApiApp({ detector, settings: resolveApiSettings({}), logLevel: 'silent' });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const cases = await buildSoakCases({ bigBytes: Number(arg('big-mb', '25')) * 2 ** 20, bombSide: 8000 });
  // one valid request first, so lazily built caches (anchors, folded weights) are not counted as growth
  await runSoak(base, cases.slice(0, 1), 1, 1);
  const before = { rss: process.memoryUsage().rss, tensors: tf.memory().numTensors };
  const t0 = performance.now();
  // RSS every tenth of the run: a leak shows as a steady climb, a bounded pool as a plateau
  const rssTrail: string[] = [];
  let peakRss = before.rss;
  const every = Math.max(1, Math.round(requests / 10));
  const r = await runSoak(base, cases, requests, concurrency, (n) => {
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    if (n % every === 0) rssTrail.push(`${n}: ${(rss / 2 ** 20).toFixed(0)}`);
  });
  const seconds = (performance.now() - t0) / 1000;
  const after = { rss: process.memoryUsage().rss, tensors: tf.memory().numTensors };
  const health = await fetch(`${base}/health`);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const rssMetric = /^(\w*process_resident_memory_bytes) (\S+)$/m.exec(metrics);
  console.log(
    `api-soak: ${requests} requests, concurrency ${concurrency}, ${cases.length} cases, ${seconds.toFixed(1)} s`,
  );
  console.log(`status counts: ${JSON.stringify(r.statuses)}`);
  console.log(`latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
  console.log(
    `RSS ${mb(before.rss)} → ${mb(after.rss)} (peak ${mb(peakRss)}); tensors ${before.tensors} → ${after.tensors}`,
  );
  console.log(`RSS MB after n requests: ${rssTrail.join(', ')}`);
  const vips = sharp.cache();
  console.log(
    `sharp (libvips) cache: ${mb(vips.memory.current * 2 ** 20)} of ${mb(vips.memory.max * 2 ** 20)}, ${vips.items.current} operations, ${vips.files.current} files; heap ${mb(process.memoryUsage().heapUsed)}, external ${mb(process.memoryUsage().external)} (client and server share this process)`,
  );
  console.log(
    `/health ${health.status}; /metrics ${rssMetric ? `${rssMetric[1]} ${mb(Number(rssMetric[2]))}` : 'has no process_resident_memory_bytes'}`,
  );
  const problems = [...r.failures];
  if (health.status !== 200) problems.push(`/health answered ${health.status}`);
  if (after.tensors !== before.tensors) problems.push(`tensors grew ${before.tensors} → ${after.tensors}`);
  if (!rssMetric) problems.push('/metrics lacks process_resident_memory_bytes');
  for (const p of problems.slice(0, 20)) console.log(`FAIL ${p}`);
  console.log(problems.length ? `api-soak: ${problems.length} failure(s)` : 'api-soak: all requirements met');
  await app.close();
  process.exitCode = problems.length ? 1 : 0;
}

void main();
