import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { openDetector } from '@resdet/inference';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { resolveApiSettings } from '../../apps/api/src/config/api-settings';
import { buildSoakCases, runSoak } from '../../bench/api-soak-cases';
import { writeTinyDetector } from '@resdet/testing';

/**
 * The small version of bench/api-soak.ts on loopback: ~100 requests at concurrency 8, every valid format at odd
 * sizes (2×3000 strips, 1×1, …) → 200, every hostile upload → 4xx (SVG/PDF → 415), hostile query strings → 4xx,
 * no 5xx but 503 with Retry-After, no dropped connection, /health up after, tensors unchanged.
 */
describe('API soak (e2e, loopback)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'resdet-soak-'));
    const detector = await openDetector({ weights: await writeTinyDetector(dir), backend: 'wasm' });
    const settings = resolveApiSettings({ maxUploadBytes: 2_000_000, maxPixels: 4_000_000 });
    app = await createApiApp({ detector, settings, logLevel: 'silent' });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  it('100 mixed requests: valid → 200, hostile → 4xx, no 5xx, no drops, health up, no tensor growth', async () => {
    const cases = await buildSoakCases({ bigBytes: 2_100_000, bombSide: 2500 });
    await runSoak(base, cases.slice(0, 1), 1, 1); // builds lazy caches before counting tensors
    const tensors = tf.memory().numTensors;
    const r = await runSoak(base, cases, 100, 8);
    expect(r.failures).toEqual([]);
    expect(Object.keys(r.statuses).filter((s) => s.startsWith('5') && s !== '503')).toEqual([]);
    expect(r.statuses['200']).toBeGreaterThanOrEqual(50);
    expect(r.statuses['415']).toBeGreaterThan(0);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /^resdet_process_resident_memory_bytes \d+/m,
    );
    expect(tf.memory().numTensors).toBe(tensors);
  }, 600_000);
});
