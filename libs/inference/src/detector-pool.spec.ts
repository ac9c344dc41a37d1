import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runDetectJob } from './detect-job';
import { Detector } from './detector';
import { openDetectorPool } from './detector-pool';
import { WorkerCrashError } from './worker-crash-error';

// Stand-in workers (plain JS, no model) that speak the pool's protocol, so the pool's own logic is tested fast.
const READY = `const { parentPort, workerData } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
post({ type: 'ready', backend: 'fake', arch: 'fake', labels: { classes: ['bg', 'a'] }, tensors: 7 });`;

const WORKERS = {
  // One box per image (the whole image, score = first byte / 255); worker 0 is slow, so batches finish out of
  // order; a 50-px-wide image is "rejected by the model".
  echo: `${READY}
parentPort.on('message', ({ images }) => {
  setTimeout(() => {
    if (images.some((im) => im.width === 50)) return post({ type: 'error', message: 'bad width' });
    post({ type: 'result', tensors: 7 + workerData.index, detections: images.map((im) => ({
      boxes: new Float32Array([0, 0, im.width, im.height]),
      scores: new Float32Array([im.data[0] / 255]),
      labels: new Int32Array([1]),
    })) });
  }, workerData.index === 0 ? 40 : 1);
});`,
  crash: `${READY}
parentPort.on('message', () => { throw new Error('boom'); });`,
  loadError: `require('node:worker_threads').parentPort.postMessage({ type: 'load-error', message: 'weights x.pth: no such file' });`,
};

describe('openDetectorPool', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-pool-'));
  const script = (name: keyof typeof WORKERS) => {
    const file = path.join(dir, `${name}.js`);
    writeFileSync(file, WORKERS[name]);
    return file;
  };
  const items = Array.from({ length: 9 }, (_, i) => ({ file: `f${i}`, relative: `img${i}.png` }));
  const decode = async (file: string) => {
    const i = Number(file.slice(1));
    return {
      width: i === 4 ? 50 : 10 + i,
      height: 8,
      data: new Uint8Array((i === 4 ? 50 : 10 + i) * 8 * 3).fill(i * 20),
    };
  };

  it('keeps input order across workers, skips what the model rejects, and reports its concurrency', async () => {
    const pool = await openDetectorPool({}, 2, script('echo'));
    const det = new Detector(pool.engine, pool.arch, pool.labels);
    const written: string[] = [];
    const skipped: string[] = [];
    try {
      expect(det.concurrency).toBe(2);
      const summary = await runDetectJob(det, items, {
        batchSize: 2,
        decode,
        writer: {
          write: async (rec, dets) => {
            written.push(`${rec.fileName} ${rec.width} ${dets[0].score.toFixed(3)} ${dets[0].label}`);
          },
        },
        onSkip: (item, reason) => skipped.push(`${item.relative}: ${reason}`),
      });
      expect(summary).toMatchObject({ processed: 8, skipped: 1, detections: 8 });
      // each worker's tensor count as it last reported it (both ran batches)
      expect(det.status()).toEqual({ workersAlive: 2, workerTensors: [7, 8], failure: undefined });
    } finally {
      await det.release();
    }
    expect(det.status()).toMatchObject({ workersAlive: 0, failure: 'the detector pool was released' });
    expect(skipped).toEqual(['img4.png: model: bad width']);
    expect(written).toEqual(
      items
        .filter((_, i) => i !== 4)
        .map((it, k) => {
          const i = k < 4 ? k : k + 1;
          return `${it.relative} ${10 + i} ${((i * 20) / 255).toFixed(3)} a`;
        }),
    );
  });

  it('ends a job with the error of a worker that crashes, rather than skipping every image or hanging', async () => {
    const pool = await openDetectorPool({}, 2, script('crash'));
    const det = new Detector(pool.engine, pool.arch, pool.labels);
    const skipped: string[] = [];
    try {
      const job = runDetectJob(det, items, {
        batchSize: 2,
        decode,
        onSkip: (it) => skipped.push(it.relative),
      });
      await expect(job).rejects.toThrow(/detector worker \d crashed: boom/);
      await expect(det.predict([await decode('f0')])).rejects.toBeInstanceOf(WorkerCrashError);
      expect(det.status()?.failure).toMatch(/detector worker \d crashed: boom/);
    } finally {
      await det.release();
    }
    expect(skipped).toEqual([]);
  });

  it('rejects the open with a worker’s load error', async () => {
    await expect(openDetectorPool({}, 2, script('loadError'))).rejects.toThrow('weights x.pth: no such file');
  });
});
