import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runDetectJob, drawingPath } from './detect-job';
import { listImageFiles } from './image-source';
import { ResultsWriter } from './results-writer';
import type { ImageDetector, RawImage } from './detection-types';

/** A detector whose output is a pure function of the image (one box over the whole image), counting calls. */
class WholeImageDetector implements ImageDetector {
  readonly info = { model: 'whole-image', backend: 'none', classes: ['__background__', 'thing'] };
  batches: number[] = [];
  async predict(images: readonly RawImage[]) {
    this.batches.push(images.length);
    return images.map((im) => [
      {
        label: 'thing',
        categoryId: 1,
        score: im.data[0] / 255,
        box: { x1: 0, y1: 0, x2: im.width, y2: im.height },
      },
    ]);
  }
  dispose() {}
}

describe('runDetectJob', () => {
  it('batches good images, skips bad ones with a reason, writes results and drawings', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'resdet-job-'));
    for (const n of ['a.img', 'b.img', 'bad.img', 'c.img']) writeFileSync(path.join(root, n), n);
    const decode = async (file: string): Promise<RawImage> => {
      if (file.endsWith('bad.img')) throw new Error(`${file}: corrupt image`);
      return { width: 4, height: 2, data: new Uint8Array(24).fill(200) };
    };
    const items = await listImageFiles([root]);
    const det = new WholeImageDetector();
    const out = path.join(root, 'out.json');
    const writer = await ResultsWriter.open(out, 'json');
    const skipped: string[] = [];
    const summary = await runDetectJob(det, items, {
      batchSize: 2,
      decode,
      writer,
      saveImagesDir: path.join(root, 'drawn'),
      onSkip: (item, reason) => skipped.push(`${item.relative}: ${reason}`),
    });
    await writer.close();
    expect(summary).toMatchObject({ processed: 3, skipped: 1, detections: 3 });
    expect(det.batches).toEqual([2, 1]);
    expect(skipped).toEqual([expect.stringMatching(/^bad.img: .*corrupt image/)]);
    const recs = JSON.parse(readFileSync(out, 'utf8'));
    expect(recs.map((r: { file_name: string }) => r.file_name)).toEqual(['a.img', 'b.img', 'c.img']);
    expect(recs[0].bbox).toEqual([0, 0, 4, 2]);
    expect(existsSync(path.join(root, 'drawn', 'a.img.png'))).toBe(true);
  });

  it('retries a batch the model rejects one image at a time: only the bad image is skipped', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'resdet-job-'));
    for (const n of ['a.img', 'odd.img', 'c.img']) writeFileSync(path.join(root, n), n);
    const decode = async (file: string): Promise<RawImage> => {
      const width = file.endsWith('odd.img') ? 7 : 4;
      return { width, height: 2, data: new Uint8Array(width * 6).fill(100) };
    };
    class PickyDetector extends WholeImageDetector {
      override async predict(images: readonly RawImage[]) {
        this.batches.push(images.length);
        if (images.some((im) => im.width === 7)) throw new Error('depth of input must match');
        return super.predict(images).then((r) => (this.batches.pop(), r));
      }
    }
    const det = new PickyDetector();
    const skipped: string[] = [];
    const summary = await runDetectJob(det, await listImageFiles([root]), {
      batchSize: 3,
      decode,
      onSkip: (item, reason) => skipped.push(`${item.relative}: ${reason}`),
    });
    expect(summary).toMatchObject({ processed: 2, skipped: 1, detections: 2 });
    expect(det.batches).toEqual([3, 1, 1, 1]);
    expect(skipped).toEqual(['odd.img: model: depth of input must match']);
  });

  it('keeps a batch queued per worker beyond the oldest, so a slow batch does not idle the other workers', async () => {
    // A two-worker pool whose first batch is slow: later batches must be submitted while it runs (at most
    // four batches out at once), and results still come out in input order.
    class SlowFirstPool extends WholeImageDetector {
      readonly concurrency = 2;
      out = 0;
      mostOut = 0;
      submittedBeforeFirstDone = 0;
      decodedBeforeFirstDone = 0;
      firstDone = false;
      override async predict(images: readonly RawImage[]) {
        const first = this.batches.length === 0;
        if (!this.firstDone) this.submittedBeforeFirstDone++;
        this.mostOut = Math.max(this.mostOut, ++this.out);
        const r = await super.predict(images);
        await new Promise((res) => setTimeout(res, first ? 150 : 5));
        if (first) this.firstDone = true;
        this.out--;
        return r;
      }
    }
    const det = new SlowFirstPool();
    const items = Array.from({ length: 24 }, (_, i) => ({ file: String(i), relative: `${i}.img` }));
    const written: string[] = [];
    await runDetectJob(det, items, {
      batchSize: 2,
      decode: async (file) => {
        if (!det.firstDone) det.decodedBeforeFirstDone++;
        return { width: 4, height: 2, data: new Uint8Array(24).fill(Number(file)) };
      },
      writer: { write: async (rec) => void written.push(rec.fileName) },
    });
    expect(written).toEqual(items.map((it) => it.relative));
    expect(det.submittedBeforeFirstDone).toBe(4);
    // Decodes cover the four batches out (8 images), the window behind them (three batches' worth, 6) and the
    // default prefetch of two batches (4), so the queued batches never wait on decoding.
    expect(det.decodedBeforeFirstDone).toBe(18);
    expect(det.mostOut).toBe(4);
  });

  it('keeps drawings inside the output folder', () => {
    expect(() => drawingPath('/out', '../x.jpg')).toThrow(/escapes/);
    expect(drawingPath('/out', 'd/x.JPG')).toBe(path.resolve('/out/d/x.JPG'));
  });
});
