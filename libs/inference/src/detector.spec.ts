import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildDetector, resolveArchConfig } from '@resdet/detection';
import { saveCheckpoint } from '@resdet/checkpoint';
import { initRuntime } from '@resdet/runtime';
import { openDetector } from './detector';

const ARCH = 'fasterrcnn_shapes_demo';

/** A random-weight demo detector saved as a resdet checkpoint with class names in its sidecar. */
function writeCheckpoint(dir: string, numClasses: number): string {
  const cfg = resolveArchConfig(ARCH, { numClasses, boxScoreThresh: 0 });
  const model = buildDetector(ARCH, cfg);
  const base = path.join(dir, 'model');
  saveCheckpoint(base, {
    model: model.stateDict(),
    meta: {
      arch: ARCH,
      config: { ...cfg },
      classes: ['__background__', ...Array.from({ length: numClasses - 1 }, (_, i) => `c${i + 1}`)],
    },
  });
  model.dispose();
  return `${base}.safetensors`;
}

function noiseImage(w: number, h: number, seed: number) {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { width: w, height: h, data };
}

describe('Detector', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-det-'));
  let weights: string;

  beforeAll(async () => {
    await initRuntime({ backend: 'wasm' });
    weights = writeCheckpoint(dir, 4);
  });

  it('thin and tiny images (2×3000, 1×1, 1×4000, 5000×40, 33×1) give detection lists clipped to the image', async () => {
    const det = await openDetector({ weights, backend: 'wasm' });
    const imgs = [
      [2, 3000],
      [1, 1],
      [1, 4000],
      [5000, 40],
      [33, 1],
    ].map(([h, w], i) => noiseImage(w, h, 20 + i));
    const before = tf.memory().numTensors;
    const alone = [];
    for (const im of imgs) alone.push((await det.predict([im]))[0]);
    const batched = await det.predict(imgs);
    expect(tf.memory().numTensors).toBe(before);
    for (const [i, dets] of [...alone, ...batched].entries()) {
      const im = imgs[i % imgs.length];
      for (const d of dets) {
        expect(d.box.x1).toBeGreaterThanOrEqual(0);
        expect(d.box.y1).toBeGreaterThanOrEqual(0);
        expect(d.box.x2).toBeLessThanOrEqual(im.width);
        expect(d.box.y2).toBeLessThanOrEqual(im.height);
        expect(Number.isFinite(d.score)).toBe(true);
      }
    }
    det.dispose();
  });

  it('loads a resdet checkpoint with its class names and leaves no tensors per predict', async () => {
    const det = await openDetector({ weights, backend: 'wasm' });
    expect(det.info.classes).toEqual(['__background__', 'c1', 'c2', 'c3']);
    expect(det.info.model).toBe(ARCH);
    const before = tf.memory().numTensors;
    const [a, b] = await det.predict([noiseImage(96, 80, 1), noiseImage(60, 100, 2)]);
    expect(tf.memory().numTensors).toBe(before);
    // score threshold 0 in the sidecar config: a random model still proposes boxes
    expect(a.length).toBeGreaterThan(0);
    for (const d of [...a, ...b]) {
      expect(['c1', 'c2', 'c3']).toContain(d.label);
      expect(d.box.x2).toBeLessThanOrEqual(96);
      expect(d.box.x1).toBeGreaterThanOrEqual(0);
    }
    const limited = await det.predict([noiseImage(96, 80, 1)], { maxDetections: 2, classes: ['c2'] });
    expect(limited[0].length).toBeLessThanOrEqual(2);
    expect(limited[0].every((d) => d.label === 'c2')).toBe(true);
    det.dispose();
  });

  it('takes names from --classes (background optional) and rejects a count that does not fit', async () => {
    const names = path.join(dir, 'names.txt');
    writeFileSync(names, 'circle\nsquare\ntriangle\n');
    const det = await openDetector({ weights, classesFile: names, warmup: false });
    expect(det.info.classes).toEqual(['__background__', 'circle', 'square', 'triangle']);
    det.dispose();
    writeFileSync(names, 'one\ntwo\n');
    await expect(openDetector({ weights, classesFile: names, warmup: false })).rejects.toThrow(
      /2 names for a model with 4 classes/,
    );
  });

  it('names the file and both shapes when weights do not fit --num-classes', async () => {
    await expect(openDetector({ weights, arch: ARCH, numClasses: 6, warmup: false })).rejects.toThrow(
      /cls_score\.weight is \[4, .*\], model expects \[6, .*--num-classes/,
    );
  });
});
