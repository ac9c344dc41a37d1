/**
 * Loader throughput: decode (sharp) + downscale + flip + batch, with the decode-ahead DetectionLoader versus a
 * plain sequential loop over the same batches, on a generated shapes dataset.
 *
 *   node -r ./tools/register.js bench/loader.ts [--images 200] [--size 640x480] [--batch 4] [--max-side 512] [--step-ms 0,30]
 *
 * `--step-ms` simulates a synchronous model step of that many milliseconds per batch (busy CPU on the main
 * thread), to show how much decoding the loader hides behind the step. Prints images/s; nothing is asserted.
 */
import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { Rng } from '@resdet/random';
import {
  DetectionLoader,
  augment,
  readCocoDataset,
  readImage,
  trainingTarget,
  writeShapesDataset,
  scaleBoxes,
} from '@resdet/data';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // simulated model step
  }
}

async function main(): Promise<void> {
  const images = Number(arg('images', '200'));
  const [w, h] = arg('size', '640x480').split('x').map(Number);
  const batchSize = Number(arg('batch', '4'));
  const maxSide = Number(arg('max-side', '512'));
  const steps = arg('step-ms', '0,30').split(',').map(Number);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-bench-loader-'));
  try {
    let t = performance.now();
    await writeShapesDataset({
      out: dir,
      format: 'coco',
      count: images,
      valCount: 0,
      seed: 0,
      shapes: { width: w, height: h },
    });
    const ds = await readCocoDataset({
      annotationFile: path.join(dir, 'annotations', 'instances_train.json'),
    });
    console.log(
      `generated ${images} JPEG images ${w}x${h} in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    console.log(
      `cores: ${os.cpus().length}, UV_THREADPOOL_SIZE: ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, sharp.concurrency: ${sharp.concurrency()}`,
    );
    console.log(`batch ${batchSize}, decode + downscale to max side ${maxSide} + hflip(0.5)`);
    const augOpts = { hflipProb: 0.5 };
    const read = { maxSide };

    for (const stepMs of steps) {
      // sequential: decode each image when it is needed, then "run the model"
      const loader = new DetectionLoader(ds.records, { batchSize, seed: 0, augment: augOpts, read });
      const plan = loader.epochBatches(0);
      t = performance.now();
      let n = 0;
      for (const [step, batch] of plan.entries()) {
        const out = [];
        for (const [slot, idx] of batch.entries()) {
          const rec = ds.records[idx];
          const img = await readImage(rec.fileName, read);
          const tt = trainingTarget(rec);
          out.push(
            augment(
              img,
              scaleBoxes(tt.boxes, img.width / rec.width, img.height / rec.height),
              new Rng(step * batchSize + slot),
              augOpts,
            ),
          );
        }
        n += out.length;
        busy(stepMs);
      }
      const seq = n / ((performance.now() - t) / 1000);

      t = performance.now();
      n = 0;
      for await (const b of loader.epoch(0)) {
        n += b.images.length;
        busy(stepMs);
      }
      const par = n / ((performance.now() - t) / 1000);
      const ideal =
        stepMs > 0 ? ` (step-bound ceiling ${((batchSize * 1000) / stepMs).toFixed(0)} images/s)` : '';
      console.log(
        `step ${String(stepMs).padStart(3)} ms: sequential ${seq.toFixed(1)} images/s, loader ${par.toFixed(1)} images/s, x${(par / seq).toFixed(2)}${ideal}`,
      );
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main();
