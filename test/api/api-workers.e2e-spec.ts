/**
 * The REST app with its model in two worker threads (`serve --workers 2`) against the model in the server's own
 * thread: the same answers for the same images, worker tensors flat, health and metrics that show the workers,
 * `close()` that ends them; and a worker that crashes answers 503 and turns /health down instead of hanging.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { writeShapesDataset } from '@resdet/data';
import { Detector, openDetector } from '@resdet/inference';
import { REPO_ROOT } from '@resdet/testing';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { resolveApiSettings } from '../../apps/api/src/config/api-settings';
// Not exported by @resdet/inference (openDetector starts it): here it is pointed at the built worker, since
// the TypeScript sources under jest have no worker .js beside them.
import { openDetectorPool } from '../../libs/inference/src/detector-pool';

const MODEL = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'shapes-demo.safetensors');
const WORKER = path.join(REPO_ROOT, 'dist', 'libs', 'inference', 'src', 'detector-worker.js');

describe('REST API with model workers (e2e, shapes-demo fixture model)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-api-workers-'));
  const settings = () => resolveApiSettings({ maxBatchSize: 2, maxBatchWaitMs: 10 });
  let images: Buffer[];
  let inThread: Detector;
  let pooled: Detector;
  let one: INestApplication;
  let two: INestApplication;
  let firstHealth: request.Response;
  let firstMetrics: request.Response;

  beforeAll(async () => {
    await writeShapesDataset({
      out: path.join(dir, 'shapes'),
      format: 'coco',
      count: 6,
      valCount: 0,
      seed: 9,
    });
    const train = path.join(dir, 'shapes', 'train');
    images = readdirSync(train)
      .sort()
      .map((f) => readFileSync(path.join(train, f)));
    const pool = await openDetectorPool({ weights: MODEL, backend: 'wasm', engine: 'tfjs' }, 2, WORKER);
    pooled = new Detector(pool.engine, pool.arch, pool.labels);
    two = await createApiApp({ detector: pooled, settings: settings(), logLevel: 'silent' });
    await two.init();
    // As `serve --workers 2` starts: no tensor backend in this thread yet.
    firstHealth = await request(two.getHttpServer()).get('/health');
    firstMetrics = await request(two.getHttpServer()).get('/metrics');
    inThread = await openDetector({ weights: MODEL, backend: 'wasm', engine: 'tfjs' });
    one = await createApiApp({ detector: inThread, settings: settings(), logLevel: 'silent' });
    await one.init();
  });

  afterAll(async () => {
    await one.close();
    await two.close(); // (already closed by the last test; a second close is harmless)
  });

  /** All images at once, as concurrent clients send them: response bodies without the timing. */
  const detectAll = async (app: INestApplication) => {
    const res = await Promise.all(
      images.map((b, i) => request(app.getHttpServer()).post('/v1/detect').attach('image', b, `${i}.jpg`)),
    );
    return res.map((r) => {
      expect(r.status).toBe(200);
      const { timingMs, ...body } = r.body as { timingMs: number };
      expect(typeof timingMs).toBe('number');
      return body;
    });
  };

  it('health and metrics answer while this thread has no tensor backend (the model is in the workers)', () => {
    expect(firstHealth.status).toBe(200);
    expect(firstHealth.body.info.model).toMatchObject({ status: 'up', loaded: true, tensors: 0, workers: 2 });
    expect(firstMetrics.status).toBe(200);
    expect(firstMetrics.text).toMatch(/resdet_tf_tensors 0/);
    expect(firstMetrics.text).toMatch(/resdet_worker_tf_tensors\{worker="0"\} [1-9]\d*/);
  });

  it('answers exactly as the model in the server thread does, with worker tensors flat', async () => {
    const h0 = await request(two.getHttpServer()).get('/health').expect(200);
    expect(h0.body.info.model).toMatchObject({ status: 'up', workers: 2, workersAlive: 2 });
    const warm = h0.body.info.model.workerTensors as number[];
    expect(warm).toHaveLength(2);

    const expected = await detectAll(one);
    expect(expected.some((b) => (b as { detections: unknown[] }).detections.length > 0)).toBe(true);
    expect(await detectAll(two)).toEqual(expected);
    expect(await detectAll(two)).toEqual(expected);

    const h1 = await request(two.getHttpServer()).get('/health').expect(200);
    expect(h1.body.info.model.workerTensors).toEqual(warm);
    const m = await request(two.getHttpServer()).get('/metrics').expect(200);
    expect(m.text).toMatch(/resdet_workers_alive 2/);
    expect(m.text).toMatch(/resdet_worker_tf_tensors\{worker="1"\} \d+/);
    expect(m.text).toMatch(/resdet_batch_size_count \d+/);
  });

  it('close() ends the worker threads', async () => {
    expect(pooled.status()?.workersAlive).toBe(2);
    await two.close();
    expect(pooled.status()?.workersAlive).toBe(0);
  });

  it('a crashed worker: 503 naming the crash, /health down, the next request 503 at once', async () => {
    const script = path.join(dir, 'crash.js');
    writeFileSync(
      script,
      `const { parentPort } = require('node:worker_threads');
parentPort.postMessage({ type: 'ready', backend: 'fake', arch: 'fake', labels: { classes: ['bg', 'a'] }, tensors: 0 });
parentPort.on('message', () => { throw new Error('out of memory (simulated)'); });`,
    );
    const pool = await openDetectorPool({}, 2, script);
    const crashing = new Detector(pool.engine, pool.arch, pool.labels);
    const app = await createApiApp({ detector: crashing, settings: settings(), logLevel: 'silent' });
    await app.init();
    try {
      const res = await request(app.getHttpServer())
        .post('/v1/detect')
        .attach('image', images[0], 'x.jpg')
        .expect(503);
      expect(res.body.message).toMatch(
        /the detector is down: detector worker \d crashed: out of memory \(simulated\)/,
      );
      const h = await request(app.getHttpServer()).get('/health').expect(503);
      expect(h.body.error.model).toMatchObject({ status: 'down', error: expect.stringMatching(/crashed/) });
      await request(app.getHttpServer()).post('/v1/detect').attach('image', images[1], 'y.jpg').expect(503);
    } finally {
      await app.close();
    }
    expect(crashing.status()?.workersAlive).toBe(0);
  });
});
