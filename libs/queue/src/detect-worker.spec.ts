import * as path from 'node:path';
import IORedis from 'ioredis';
import type { Detection, ImageDetector, RawImage } from '@resdet/inference';
import { startRedis, type TestRedis } from '@resdet/testing';
import { DetectRuns } from './detect-runs';
import { startDetectWorker, type DetectWorkerHandle } from './detect-worker';
import { parseQueueUrl } from './queue-url';
import { RunStore, type RunEvent } from './run-store';

/** A detector whose answer is a function of the image (its width), so results can be checked by hand. */
function widthDetector(): ImageDetector {
  return {
    info: { model: 'width', backend: 'test', classes: ['__background__', 'thing'] },
    predict: async (images: readonly RawImage[]) =>
      images.map((im): Detection[] => [
        { label: 'thing', categoryId: 1, score: 0.5, box: { x1: 0, y1: 0, x2: im.width, y2: 1 } },
      ]),
    dispose: () => undefined,
  };
}

/** Decoding by name: `w<N>.png` is an N×1 image, `bad*` is unreadable. */
async function decode(file: string): Promise<RawImage> {
  const name = path.basename(file);
  if (name.startsWith('bad')) throw new Error('not an image');
  const width = Number(/w(\d+)/.exec(name)![1]);
  return { width, height: 1, data: new Uint8Array(width * 3) };
}

describe('queue (Redis + BullMQ, in-process worker)', () => {
  let redis: TestRedis;
  let runs: DetectRuns;
  let handle: DetectWorkerHandle;
  let loads = 0;
  const model = { source: { weights: '/models/w.safetensors' }, hashes: {} };

  beforeAll(async () => {
    redis = await startRedis();
    const url = parseQueueUrl(redis.url);
    runs = DetectRuns.connect(url);
    handle = await startDetectWorker({
      url,
      decode,
      loadDetector: async () => {
        loads++;
        return widthDetector();
      },
      lockMs: 2000,
      stalledIntervalMs: 500,
    });
  });

  afterAll(async () => {
    await handle?.close();
    await runs?.close();
    await redis?.stop();
  });

  const collect = async (id: string) => {
    const events: RunEvent[] = [];
    for await (const e of runs.follow(id)) events.push(e);
    return events;
  };

  it('processes every image once, in chunks, loading the model once; skips unreadable ones', async () => {
    const names = ['w3.png', 'bad.png', 'w5.png', 'w7.png', 'w2.png'];
    const id = await runs.submit({
      items: names.map((n) => ({ file: `/data/${n}`, relative: `sub/${n}` })),
      model,
      chunkSize: 2,
    });
    const events = await collect(id);
    const results = events.flatMap((e) => (e.kind === 'result' ? [e.record] : []));
    expect(results.map((r) => r.file_name).sort()).toEqual([
      'sub/w2.png',
      'sub/w3.png',
      'sub/w5.png',
      'sub/w7.png',
    ]);
    const w5 = results.find((r) => r.file_name === 'sub/w5.png')!;
    expect(w5).toEqual({
      file_name: 'sub/w5.png',
      width: 5,
      height: 1,
      detections: [{ category_id: 1, label: 'thing', bbox: [0, 0, 5, 1], score: 0.5 }],
    });
    expect(events.filter((e) => e.kind === 'skip')).toEqual([
      { kind: 'skip', file: 'sub/bad.png', reason: 'not an image' },
    ]);
    expect(events.filter((e) => e.kind === 'chunk')).toHaveLength(3);
    expect(events[events.length - 1]).toEqual({ kind: 'end', state: 'done' });
    expect(loads).toBe(1);
    const s = await runs.status(id);
    expect(s).toMatchObject({
      state: 'done',
      total: 5,
      processed: 4,
      skipped: 1,
      detections: 4,
      chunksDone: 3,
    });
  });

  it('records an image once however often it is reported (a retried task)', async () => {
    const id = await runs.submit({ items: [], model });
    // an empty run is done at once; write to a fresh one by hand through the store
    expect((await runs.status(id)).state).toBe('done');
    const conn = new IORedis(redis.port, '127.0.0.1');
    const store = new RunStore(conn);
    await store.create('manual', { order: ['a', 'b'], chunks: 1, chunkSize: 2, model: 'm' });
    const rec = { file_name: 'a', width: 1, height: 1, detections: [] };
    expect(await store.recordResult('manual', rec)).toBe(true);
    expect(await store.recordResult('manual', rec)).toBe(true);
    await store.recordSkip('manual', 'a', 'late duplicate');
    let s = await store.status('manual');
    expect(s).toMatchObject({ processed: 1, skipped: 0, state: 'running' });
    await store.recordChunk('manual', 0, 'disk gone');
    await store.recordChunk('manual', 0);
    s = await store.status('manual');
    expect(s).toMatchObject({ state: 'done', chunksFailed: 1, chunksDone: 0, failedImages: 1 });
    expect(s.errors).toEqual([{ chunk: 0, error: 'disk gone', files: ['b'] }]);
    expect(await conn.ttl('resdet:run:{manual}:events')).toBeGreaterThan(0);
    conn.disconnect();
  });

  it('reports tasks that keep failing (model file missing on this host) after their attempts; the run still ends', async () => {
    const id = await runs.submit({
      items: ['w1.png', 'w2.png', 'w3.png', 'w4.png'].map((n) => ({ file: `/d/${n}`, relative: n })),
      model: { source: { weights: '/models/missing.safetensors' }, hashes: { '/no/such/file': 'x' } },
      chunkSize: 2,
      attempts: 2,
    });
    const events = await collect(id);
    const failed = events.filter((e) => e.kind === 'chunk' && e.error);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ error: expect.stringMatching(/not on this host/) });
    const s = await runs.status(id);
    expect(s).toMatchObject({ state: 'done', chunksFailed: 2, failedImages: 4, processed: 0 });
  });

  it('cancel stops a run: queued tasks are removed and the run ends cancelled', async () => {
    await handle.worker.pause();
    const id = await runs.submit({
      items: ['w1.png', 'w2.png'].map((n) => ({ file: `/d/${n}`, relative: n })),
      model,
      chunkSize: 1,
    });
    expect(await runs.cancel(id)).toBe(true);
    expect(await runs.cancel(id)).toBe(false);
    handle.worker.resume();
    const events = await collect(id);
    expect(events.filter((e) => e.kind === 'result')).toHaveLength(0);
    expect(events[events.length - 1]).toEqual({ kind: 'end', state: 'cancelled' });
    expect((await runs.counts()).waiting).toBe(0);
  });
});
