import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCocoDataset } from './coco-dataset';
import type { DetectionDataset } from './detection-record';
import { DetectionLoader, type LoaderBatch } from './detection-loader';
import { hflipBoxes } from './augmentation';
import { writeShapesDataset } from './shapes-dataset';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-loader-'));
let ds: DetectionDataset;

beforeAll(async () => {
  await writeShapesDataset({
    out: dir,
    format: 'coco',
    count: 10,
    valCount: 0,
    seed: 4,
    shapes: { width: 48, height: 32 },
    imageFormat: 'png',
  });
  ds = await readCocoDataset({ annotationFile: path.join(dir, 'annotations', 'instances_train.json') });
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function take(it: AsyncGenerator<LoaderBatch>, n: number): Promise<LoaderBatch[]> {
  const out: LoaderBatch[] = [];
  for await (const b of it) {
    out.push(b);
    if (out.length === n) break;
  }
  return out;
}

describe('DetectionLoader', () => {
  it('yields floor(N / B) batches per epoch covering distinct images, with host RGB HWC images and targets', async () => {
    const loader = new DetectionLoader(ds.records, { batchSize: 3, seed: 1 });
    expect(loader.batchesPerEpoch).toBe(3);
    const batches = await take(loader.epoch(0), 100);
    expect(batches.map((b) => [b.epoch, b.step])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    const ids = batches.flatMap((b) => b.targets.map((t) => t.imageId));
    expect(new Set(ids).size).toBe(9);
    for (const b of batches) {
      expect(b.images).toHaveLength(3);
      for (const [i, img] of b.images.entries()) {
        expect([img.width, img.height, img.data.length]).toEqual([48, 32, 48 * 32 * 3]);
        const rec = ds.records.find((r) => r.imageId === b.targets[i].imageId)!;
        expect(Array.from(b.targets[i].boxes)).toEqual(Array.from(rec.boxes));
        expect(Array.from(b.targets[i].labels)).toEqual(Array.from(rec.labels));
      }
    }
  });

  it('is deterministic for a seed, reshuffles each epoch, and keeps order without shuffle', async () => {
    const ids = (bs: LoaderBatch[]) => bs.map((b) => b.targets.map((t) => t.imageId));
    const a = new DetectionLoader(ds.records, { batchSize: 2, seed: 7 });
    const b = new DetectionLoader(ds.records, { batchSize: 2, seed: 7 });
    expect(a.epochBatches(0)).toEqual(b.epochBatches(0));
    expect(a.epochBatches(0)).not.toEqual(a.epochBatches(1));
    expect(a.epochBatches(0)).not.toEqual(
      new DetectionLoader(ds.records, { batchSize: 2, seed: 8 }).epochBatches(0),
    );
    expect(ids(await take(a.epoch(2), 10))).toEqual(ids(await take(b.epoch(2), 10)));
    const ordered = new DetectionLoader(ds.records, {
      batchSize: 4,
      seed: 0,
      shuffle: false,
      aspectRatioGroupFactor: -1,
    });
    expect(ordered.epochBatches(0)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('iterates forever, epoch after epoch', async () => {
    const loader = new DetectionLoader(ds.records, { batchSize: 4, seed: 3, prefetch: 3 });
    const batches = await take(loader.iterate(), 7);
    expect(batches.map((b) => [b.epoch, b.step])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
      [3, 0],
    ]);
  });

  it('groups images of like aspect ratio into the same batch', async () => {
    const mixed = ds.records.map((r, i) =>
      i % 2
        ? r
        : {
            ...r,
            width: 32,
            height: 48,
            boxes: new Float32Array(0),
            labels: new Int32Array(0),
            iscrowd: new Uint8Array(0),
            difficult: new Uint8Array(0),
          },
    );
    const loader = new DetectionLoader(mixed, { batchSize: 5, seed: 2 });
    for (let e = 0; e < 5; e++) {
      for (const batch of loader.epochBatches(e)) expect(new Set(batch.map((i) => i % 2)).size).toBe(1);
    }
  });

  it('flips boxes with images under augmentation, the same way for the same seed', async () => {
    const opts = { batchSize: 5, seed: 5, augment: { hflipProb: 0.5, shortSides: [32, 40] } };
    const [a] = await take(new DetectionLoader(ds.records, opts).epoch(0), 1);
    const [b] = await take(new DetectionLoader(ds.records, opts).epoch(0), 1);
    const [plain] = await take(new DetectionLoader(ds.records, { batchSize: 5, seed: 5 }).epoch(0), 1);
    expect(a.targets.map((t) => t.flipped)).toEqual(b.targets.map((t) => t.flipped));
    expect(a.targets.some((t) => t.flipped)).toBe(true);
    for (const [i, t] of a.targets.entries()) {
      expect([32, 40]).toContain(t.shortSide);
      const p = plain.targets[i];
      expect(Array.from(t.boxes)).toEqual(Array.from(t.flipped ? hflipBoxes(p.boxes, 48) : p.boxes));
      // pixels follow: row 0 of the flipped image is row 0 of the plain one reversed
      if (t.flipped) {
        const w = 48;
        expect([a.images[i].data[0], a.images[i].data[1], a.images[i].data[2]]).toEqual([
          plain.images[i].data[(w - 1) * 3],
          plain.images[i].data[(w - 1) * 3 + 1],
          plain.images[i].data[(w - 1) * 3 + 2],
        ]);
      }
    }
  });

  it('scales boxes when asked to downscale, and leaves crowd and difficult boxes out of targets', async () => {
    const rec = {
      ...ds.records[0],
      boxes: Float32Array.from([4, 2, 20, 10, 0, 0, 48, 32, 8, 8, 16, 16]),
      labels: Int32Array.from([1, 2, 3]),
      iscrowd: Uint8Array.from([0, 1, 0]),
      difficult: Uint8Array.from([0, 0, 1]),
      annotationIds: new Float64Array(3),
    };
    const [batch] = await take(
      new DetectionLoader([rec], { batchSize: 1, seed: 0, read: { maxSide: 24 } }).epoch(0),
      1,
    );
    expect([batch.images[0].width, batch.images[0].height]).toEqual([24, 16]);
    expect([batch.targets[0].originalWidth, batch.targets[0].originalHeight]).toEqual([48, 32]);
    expect(Array.from(batch.targets[0].boxes)).toEqual([2, 1, 10, 5]);
    expect(Array.from(batch.targets[0].labels)).toEqual([1]);
  });

  it('leaves an unreadable image out of its batches and reports it once; a batch with no readable image is an error', async () => {
    const broken = path.join(dir, 'broken.png');
    await fs.writeFile(broken, '');
    const recs = [...ds.records.slice(0, 3), { ...ds.records[3], fileName: broken }];
    const skips: [string, string][] = [];
    const loader = new DetectionLoader(recs, {
      batchSize: 4,
      seed: 0,
      onSkip: (rec, reason) => skips.push([rec.fileName, reason]),
    });
    const batches = await take(loader.iterate(), 2); // two epochs of one batch
    for (const b of batches) {
      expect(b.images).toHaveLength(3);
      expect(b.targets.map((t) => t.imageId).sort()).toEqual(
        recs
          .slice(0, 3)
          .map((r) => r.imageId)
          .sort(),
      );
    }
    expect(skips).toHaveLength(1);
    expect(skips[0][0]).toBe(broken);
    expect(skips[0][1]).toContain('broken.png');

    const allBroken = recs.map((r) => ({ ...r, fileName: broken }));
    const err = await take(new DetectionLoader(allBroken, { batchSize: 4, seed: 0 }).epoch(0), 1).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/no image of batch 0 \(epoch 0\) could be read: .*broken\.png/);
  });

  it('decodes ahead, but never more than the prefetch bound plus the batch being awaited', async () => {
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const decode = async (file: string) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      started.push(Number(path.basename(file).slice(0, 12)));
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return {
        data: new Uint8Array(48 * 32 * 3),
        width: 48,
        height: 32,
        type: 'png' as const,
        originalWidth: 48,
        originalHeight: 32,
      };
    };
    const loader = new DetectionLoader(ds.records, { batchSize: 2, seed: 0, prefetch: 4, decode });
    let consumed = 0;
    for await (const b of loader.iterate()) {
      // while the consumer holds batch k, the next batches are already being decoded
      expect(started.length).toBeGreaterThanOrEqual((consumed + 1) * 2 + 2);
      expect(started.length).toBeLessThanOrEqual((consumed + 1) * 2 + 4);
      consumed++;
      expect(b.images).toHaveLength(2);
      if (consumed === 12) break;
    }
    expect(peak).toBeLessThanOrEqual(6);
    expect(peak).toBeGreaterThan(2);
  });

  it('refuses a dataset smaller than one batch', () => {
    expect(() => new DetectionLoader(ds.records.slice(0, 2), { batchSize: 3, seed: 0 })).toThrow(
      /2 images, fewer than one batch of 3/,
    );
  });
});
