import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { writeShapesDataset, readImage } from '@resdet/data';
import { openDetector, type Detector } from '@resdet/inference';
import { parseQueueUrl, startDetectWorker, type DetectWorkerHandle } from '@resdet/queue';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { resolveApiSettings } from '../../apps/api/src/config/api-settings';
import { freePort, REPO_ROOT, startRedis, type TestRedis } from '@resdet/testing';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/models/shapes-demo');

describe('REST API batch jobs (e2e: redis-server, in-process worker)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-api-jobs-'));
  const dataRoot = path.join(root, 'data');
  let redis: TestRedis;
  let detector: Detector;
  let worker: DetectWorkerHandle;
  let app: INestApplication;
  let noQueue: INestApplication;
  let deadQueue: INestApplication;

  const server = () => app.getHttpServer();
  const waitDone = async (id: string) => {
    for (;;) {
      const res = await request(server()).get(`/v1/jobs/${id}`).expect(200);
      if (res.body.state !== 'running') return res.body;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    redis = await startRedis();
    await writeShapesDataset({
      out: path.join(root, 'shapes'),
      format: 'coco',
      count: 6,
      valCount: 0,
      seed: 5,
    });
    mkdirSync(path.join(dataRoot, 'models'), { recursive: true });
    copyFileSync(`${FIXTURE}.safetensors`, path.join(dataRoot, 'models', 'demo.safetensors'));
    copyFileSync(`${FIXTURE}.json`, path.join(dataRoot, 'models', 'demo.json'));
    symlinkSync(path.join(root, 'shapes', 'train'), path.join(dataRoot, 'photos')); // inside → allowed
    mkdirSync(path.join(root, 'secret'));
    writeFileSync(path.join(root, 'secret', 'x.jpg'), 'outside the root');
    symlinkSync(path.join(root, 'secret'), path.join(dataRoot, 'escape'));
    // photos is itself a symlink to a folder outside the root: also refused; give the job a real copy
    mkdirSync(path.join(dataRoot, 'batch'));
    for (let i = 1; i <= 6; i++) {
      const f = `00000000000${i}.jpg`;
      copyFileSync(path.join(root, 'shapes', 'train', f), path.join(dataRoot, 'batch', f));
    }
    detector = await openDetector({ weights: `${FIXTURE}.safetensors`, backend: 'wasm', warmup: false });
    const keep = { info: detector.info, predict: detector.predict.bind(detector), dispose: () => undefined };
    worker = await startDetectWorker({
      url: parseQueueUrl(redis.url),
      decode: (f) => readImage(f),
      loadDetector: async (source) => openDetector({ ...source, backend: 'wasm', warmup: false }),
      lockMs: 5000,
    });
    const make = (settings: Parameters<typeof resolveApiSettings>[0]) =>
      createApiApp({
        detector: keep,
        settings: resolveApiSettings(settings),
        model: { weights: path.join(dataRoot, 'models', 'demo.safetensors') },
        logLevel: 'silent',
      }).then(async (a) => (await a.init(), a));
    app = await make({ queueUrl: redis.url, dataRoot });
    noQueue = await make({ dataRoot });
    deadQueue = await make({ queueUrl: `redis://127.0.0.1:${await freePort()}`, dataRoot });
  });

  afterAll(async () => {
    await Promise.all([app, noQueue, deadQueue].map((a) => a?.close()));
    await worker?.close();
    detector?.dispose();
    await redis?.stop();
  });

  it('POST /v1/jobs → 202 {id}; GET shows progress to done; /results streams one NDJSON line per image', async () => {
    const created = await request(server())
      .post('/v1/jobs')
      .send({ input: 'batch', chunkSize: 4 })
      .expect(202);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{12}$/), images: 6 });
    const status = await waitDone(created.body.id);
    expect(status).toMatchObject({
      state: 'done',
      total: 6,
      processed: 6,
      skipped: 0,
      chunks: 2,
      chunksFailed: 0,
    });
    const res = await request(server()).get(`/v1/jobs/${created.body.id}/results`).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file_name).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => `00000000000${i + 1}.jpg`),
    );
    expect(lines.reduce((n, l) => n + l.detections.length, 0)).toBe(status.detections);
    expect(status.detections).toBeGreaterThan(0);
    // same detections as the served model gives for the same file
    const direct = await detector.predict([
      await readImage(path.join(dataRoot, 'batch', lines[0].file_name)),
    ]);
    expect(lines[0].detections).toHaveLength(direct[0].length);
  });

  it('a job names its model under the data root and passes its options', async () => {
    const created = await request(server())
      .post('/v1/jobs')
      .send({ input: 'batch/000000000001.jpg', model: 'models/demo.safetensors', scoreThreshold: 0.99 })
      .expect(202);
    expect(created.body.images).toBe(1);
    const status = await waitDone(created.body.id);
    const res = await request(server()).get(`/v1/jobs/${created.body.id}/results`).expect(200);
    const [line] = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(status.processed).toBe(1);
    for (const d of line.detections) expect(d.score).toBeGreaterThanOrEqual(0.99);
  });

  it.each([
    ['../secret', /without "\.\."/],
    ['/etc', /relative path/],
    ['escape', /outside the data root \(symlink\)/],
    ['photos', /outside the data root \(symlink\)/],
    ['nope', /does not exist/],
  ])('input %s is refused with 400', async (input, message) => {
    const res = await request(server()).post('/v1/jobs').send({ input }).expect(400);
    expect(res.body.message).toMatch(message);
  });

  it('a model path outside the data root, bad options and unknown fields are 400', async () => {
    await request(server()).post('/v1/jobs').send({ input: 'batch', model: '../x.pth' }).expect(400);
    await request(server()).post('/v1/jobs').send({ input: 'batch', scoreThreshold: 2 }).expect(400);
    await request(server()).post('/v1/jobs').send({ input: 'batch', shell: 'rm -rf' }).expect(400);
    await request(server()).post('/v1/jobs').send({}).expect(400);
  });

  it('DELETE cancels a queued job; unknown ids are 404', async () => {
    await worker.worker.pause();
    const { body } = await request(server())
      .post('/v1/jobs')
      .send({ input: 'batch', chunkSize: 1 })
      .expect(202);
    const metrics = await request(server()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/resdet_jobs_queue_depth\{state="waiting"\} [1-9]/);
    expect(metrics.text).toMatch(/resdet_jobs_workers 1/);
    const del = await request(server()).delete(`/v1/jobs/${body.id}`).expect(200);
    expect(del.body).toMatchObject({ id: body.id, state: 'cancelled', processed: 0 });
    worker.worker.resume();
    await request(server()).get('/v1/jobs/feedfeedfeed').expect(404);
    await request(server()).get('/v1/jobs/feedfeedfeed/results').expect(404);
  });

  it('/health reports Redis', async () => {
    const res = await request(server()).get('/health').expect(200);
    expect(res.body.info.redis).toMatchObject({
      status: 'up',
      url: expect.stringMatching(/^redis:\/\/127\.0\.0\.1:/),
    });
  });

  it('without a queue the API works and the job endpoints answer 503 saying why', async () => {
    const res = await request(noQueue.getHttpServer()).post('/v1/jobs').send({ input: 'batch' }).expect(503);
    expect(res.body.message).toMatch(/need a Redis queue: start the server with --queue/);
    const health = await request(noQueue.getHttpServer()).get('/health').expect(200);
    expect(health.body.info.redis).toEqual({ status: 'up', queue: 'disabled' });
  });

  it('with Redis unreachable: 503 naming the queue, /health down, /v1/detect unaffected', async () => {
    const res = await request(deadQueue.getHttpServer()).get('/v1/jobs/abc').expect(503);
    expect(res.body.message).toMatch(/job queue at redis:\/\/127\.0\.0\.1:\d+\/0 is unreachable/);
    const health = await request(deadQueue.getHttpServer()).get('/health').expect(503);
    expect(health.body.error.redis.status).toBe('down');
    const img = await readImage(path.join(dataRoot, 'batch', '000000000001.jpg'));
    expect(img.width).toBeGreaterThan(0);
    await request(deadQueue.getHttpServer())
      .post('/v1/detect')
      .attach('image', path.join(dataRoot, 'batch', '000000000001.jpg'))
      .expect(200);
  });
});
