import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import sharp from 'sharp';
import type { INestApplication } from '@nestjs/common';
import { openDetector, type Detector } from '@resdet/inference';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { resolveApiSettings } from '../../apps/api/src/config/api-settings';
import { writeTinyDetector } from '@resdet/testing';

const png = (w: number, h: number, colour = '#3366aa') =>
  sharp({ create: { width: w, height: h, channels: 3, background: colour } })
    .png()
    .toBuffer();

/** A PNG whose header claims 100000 × 100000 pixels (the IHDR CRC is left stale: the header check comes first). */
async function absurdPng(): Promise<Buffer> {
  const b = Buffer.from(await png(8, 8));
  b.writeUInt32BE(100000, 16);
  b.writeUInt32BE(100000, 20);
  return b;
}

describe('REST API (e2e, real tiny model)', () => {
  let detector: Detector;
  let app: INestApplication;
  let keyed: INestApplication;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'resdet-api-'));
    detector = await openDetector({ weights: await writeTinyDetector(dir), backend: 'wasm' });
    const settings = resolveApiSettings({ maxUploadBytes: 200_000, maxPixels: 1_000_000 });
    app = await createApiApp({ detector, settings, logLevel: process.env.API_LOG ?? 'silent' });
    await app.init();
    const noDispose = {
      info: detector.info,
      predict: detector.predict.bind(detector),
      dispose: () => undefined,
    };
    keyed = await createApiApp({
      detector: noDispose,
      settings: resolveApiSettings({ apiKey: 'secret-key-123' }),
      logLevel: 'silent',
    });
    await keyed.init();
  });

  afterAll(async () => {
    await keyed.close();
    await app.close();
  });

  it('detects in a multipart upload: shape of the response, options applied', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/detect')
      .query({ maxDetections: 3 })
      .attach('image', await png(120, 90), 'x.png')
      .expect(200);
    expect(res.body).toMatchObject({ width: 120, height: 90, model: 'fasterrcnn_shapes_demo' });
    expect(typeof res.body.timingMs).toBe('number');
    expect(res.body.detections.length).toBeGreaterThan(0);
    expect(res.body.detections.length).toBeLessThanOrEqual(3);
    const d = res.body.detections[0];
    expect(Object.keys(d).sort()).toEqual(['box', 'categoryId', 'label', 'score']);
    expect(d.box.x2).toBeGreaterThan(d.box.x1);
    expect(d.box.x2).toBeLessThanOrEqual(120);
  });

  it('accepts a raw image body and filters by score and class', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/detect?scoreThreshold=0.99&classes=square')
      .set('content-type', 'image/png')
      .send(await png(64, 64))
      .expect(200);
    for (const d of res.body.detections) {
      expect(d.score).toBeGreaterThanOrEqual(0.99);
      expect(d.label).toBe('square');
    }
  });

  it.each([
    ['scoreThreshold=1.5', /scoreThreshold must not be greater than 1/],
    ['maxDetections=0', /maxDetections must not be less than 1/],
    ['maxDetections=2.5', /maxDetections must be an integer/],
    ['bogus=1', /property bogus should not exist/],
  ])('400 for invalid option %s', async (q, msg) => {
    const res = await request(app.getHttpServer())
      .post(`/v1/detect?${q}`)
      .attach('image', await png(8, 8), 'x.png')
      .expect(400);
    expect(JSON.stringify(res.body.message)).toMatch(msg);
  });

  it('400 without an image, and for a wrong field name', async () => {
    await request(app.getHttpServer()).post('/v1/detect').expect(400);
    await request(app.getHttpServer())
      .post('/v1/detect')
      .attach('picture', await png(8, 8), 'x.png')
      .expect(400);
  });

  it('413 for an upload over the limit', async () => {
    await request(app.getHttpServer())
      .post('/v1/detect')
      .attach('image', Buffer.alloc(300_000, 1), 'big.png')
      .expect(413);
    await request(app.getHttpServer())
      .post('/v1/detect')
      .set('content-type', 'image/jpeg')
      .send(Buffer.alloc(300_000, 1))
      .expect(413);
  });

  it('415 for content that is not an image, whatever the claimed type', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/detect')
      .attach('image', Buffer.from('%PDF-1.4 not an image'), { filename: 'x.png', contentType: 'image/png' })
      .expect(415);
    expect(res.body.message).toMatch(/not a JPEG, PNG/);
  });

  it('422 for a corrupt image and for too many pixels', async () => {
    const good = await png(50, 50);
    const res = await request(app.getHttpServer())
      .post('/v1/detect')
      .attach('image', good.subarray(0, 60), 'cut.png')
      .expect(422);
    expect(res.body.message).toMatch(/corrupt or truncated/);
    const big = await request(app.getHttpServer())
      .post('/v1/detect')
      .attach('image', await absurdPng(), 'huge.png')
      .expect(422);
    expect(big.body.message).toMatch(/pixels/);
  });

  it('API key: 401 without or with a wrong key, 200 with it; open server needs none', async () => {
    const img = await png(32, 32);
    await request(keyed.getHttpServer()).post('/v1/detect').attach('image', img, 'x.png').expect(401);
    await request(keyed.getHttpServer())
      .post('/v1/detect')
      .set('x-api-key', 'nope')
      .attach('image', img, 'x.png')
      .expect(401);
    await request(keyed.getHttpServer())
      .post('/v1/detect')
      .set('x-api-key', 'secret-key-123')
      .attach('image', img, 'x.png')
      .expect(200);
  });

  it('health is up with the backend; OpenAPI documents /v1/detect; metrics are exposed', async () => {
    const h = await request(app.getHttpServer()).get('/health').expect(200);
    expect(h.body.info.model).toMatchObject({ status: 'up', loaded: true, backend: 'wasm' });
    const doc = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(doc.body.paths['/v1/detect'].post).toBeDefined();
    expect(JSON.stringify(doc.body.components.schemas.DetectResponseDto)).toMatch(/detections/);
    const m = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(m.text).toMatch(/resdet_http_requests_total\{route="\/v1\/detect",status="200"\} \d+/);
    expect(m.text).toMatch(/resdet_http_requests_total\{route="\/v1\/detect",status="415"\} \d+/);
    expect(m.text).toMatch(/resdet_batch_size_count \d+/);
    expect(m.text).toMatch(/resdet_tf_tensors \d+/);
  });

  it('batches concurrent requests into shared forward passes', async () => {
    const img = await png(64, 48);
    const before = await request(app.getHttpServer()).get('/metrics');
    const count = (t: string) => Number(/resdet_batch_size_count (\d+)/.exec(t)![1]);
    await Promise.all(
      Array.from({ length: 8 }, () =>
        request(app.getHttpServer()).post('/v1/detect').attach('image', img, 'x.png').expect(200),
      ),
    );
    const after = await request(app.getHttpServer()).get('/metrics');
    expect(count(after.text) - count(before.text)).toBeLessThan(8);
  });

  it('a full queue answers 503 with Retry-After; accepted requests still succeed', async () => {
    // the real model behind a 300 ms asynchronous delay, so requests pile up while a batch runs
    const slow = {
      info: detector.info,
      predict: async (imgs: Parameters<Detector['predict']>[0]) => {
        await new Promise((r) => setTimeout(r, 300));
        return detector.predict(imgs);
      },
      dispose: () => undefined,
    };
    const small = await createApiApp({
      detector: slow,
      settings: resolveApiSettings({ maxQueue: 1, maxBatchSize: 1, maxBatchWaitMs: 0 }),
      logLevel: 'silent',
    });
    await small.init();
    const server = small.getHttpServer().listen(0);
    try {
      const img = await png(64, 64);
      const res = await Promise.all(
        Array.from({ length: 8 }, () => request(server).post('/v1/detect').attach('image', img, 'x.png')),
      );
      const busy = res.filter((r) => r.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0].headers['retry-after']).toBe('1');
      expect(res.filter((r) => r.status === 200).length + busy.length).toBe(8);
    } finally {
      server.close();
      await small.close();
    }
  });

  it('fuzz: random blobs, truncated images, absurd headers → only 4xx, server alive, no tensor growth', async () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const good = [
      await png(40, 30),
      await sharp(await png(40, 30))
        .jpeg()
        .toBuffer(),
    ];
    const blobs: Buffer[] = [await absurdPng()];
    for (let i = 0; i < 120; i++) {
      const kind = i % 4;
      if (kind === 0)
        blobs.push(
          Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256))),
        );
      else if (kind === 1) {
        const g = good[i % 2];
        blobs.push(g.subarray(0, Math.floor(rand() * g.length)));
      } else if (kind === 2) {
        const g = Buffer.from(good[i % 2]);
        for (let k = 0; k < 10; k++) g[8 + Math.floor(rand() * (g.length - 8))] = Math.floor(rand() * 256);
        blobs.push(g);
      } else {
        blobs.push(Buffer.concat([good[i % 2].subarray(0, 12), Buffer.alloc(Math.floor(rand() * 64))]));
      }
    }
    await request(app.getHttpServer()).post('/v1/detect').attach('image', good[0], 'warm.png').expect(200);
    const tensors = tf.memory().numTensors;
    for (const [i, b] of blobs.entries()) {
      const field = i % 10 === 9 ? 'img' : 'image';
      const res = await request(app.getHttpServer()).post('/v1/detect').attach(field, b, 'f.bin');
      // corrupted-but-decodable images may legitimately succeed; nothing may be a 5xx
      expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
    }
    await request(app.getHttpServer()).post('/v1/detect').attach('image', good[1], 'ok.jpg').expect(200);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
