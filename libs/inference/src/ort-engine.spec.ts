/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * The Detector facade over the onnxruntime engine: class names, category ids and the per-call filters on top of
 * OrtFasterRcnn's detections; engines built from written files give the same detections as in-memory export.
 * Model: a seeded random ResNet-18-FPN small enough for CI.
 */
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import { join } from 'path';
import { initRuntime } from '@resdet/runtime';
import { Rng } from '@resdet/random';
import { buildFasterRcnn, GeneralizedRCNN, resolveConfig } from '@resdet/detection';
import { boxHeadPath, OrtFasterRcnn, readFasterRcnnOnnx, writeFasterRcnnOnnx } from '@resdet/onnx';
import type { RawImage } from './detection-types';
import { Detector } from './detector';
import { ortEngine } from './detection-engine';

const dir = mkdtempSync(join(os.tmpdir(), 'resdet-ort-detector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smallModel(): GeneralizedRCNN {
  return buildFasterRcnn(
    resolveConfig({
      numClasses: 3,
      minSize: 64,
      maxSize: 96,
      backboneDepth: 18,
      backboneWidth: 8,
      backboneLayers: [1, 1, 1, 1],
      fpnOutChannels: 16,
      representationSize: 32,
      rpnPreNmsTopNTest: 200,
      rpnPostNmsTopNTest: 50,
      seed: 5,
    }),
  ).eval();
}

function image(h: number, w: number, seed: number): RawImage {
  const rng = new Rng(seed);
  return { height: h, width: w, data: Uint8Array.from({ length: h * w * 3 }, () => rng.int(256)) };
}

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

describe('Detector on the onnxruntime engine', () => {
  it('names classes, maps category ids, applies scoreThreshold/maxDetections/classes', async () => {
    const model = smallModel();
    const classes = ['__background__', 'cat', 'dog'];
    const det = new Detector(await ortEngine(model), 'tiny', { classes, categoryIds: [0, 17, 18] });
    model.dispose(); // the engine does not keep the tfjs model
    expect(det.info).toEqual({ model: 'tiny', backend: 'onnxruntime-cpu', classes });
    const imgs = [image(50, 70, 1), image(64, 40, 2)];
    const all = await det.predict(imgs);
    expect(all).toHaveLength(2);
    const flat = all.flat();
    expect(flat.length).toBeGreaterThan(0);
    for (const d of flat) {
      expect(['cat', 'dog']).toContain(d.label);
      expect(d.categoryId).toBe(d.label === 'cat' ? 17 : 18);
    }
    for (const [i, dets] of all.entries()) {
      for (const d of dets) {
        expect(d.box.x1).toBeGreaterThanOrEqual(0);
        expect(d.box.x2).toBeLessThanOrEqual(imgs[i].width);
        expect(d.box.y2).toBeLessThanOrEqual(imgs[i].height);
      }
    }
    const cut = all[0][Math.floor(all[0].length / 2)].score;
    const filtered = await det.predict(imgs, { scoreThreshold: cut, maxDetections: 3, classes: ['dog'] });
    for (const d of filtered[0]) expect(d.score >= cut && d.label === 'dog').toBe(true);
    expect(filtered[0].length).toBeLessThanOrEqual(3);
    expect(filtered[0].length).toBe(
      Math.min(3, all[0].filter((d) => d.score >= cut && d.label === 'dog').length),
    );
    expect(await det.predict([])).toEqual([]);
    await expect(det.predict([{ height: 2, width: 2, data: new Uint8Array(5) }])).rejects.toThrow(
      /5 bytes, expected 2×2×3/,
    );
    await det.release();
  });

  it('an engine built from written files detects the same as one exported in memory', async () => {
    const model = smallModel();
    const out = join(dir, 'm.onnx');
    const { files, meta } = await writeFasterRcnnOnnx(model, out, {
      arch: 'tiny',
      classes: ['bg', 'a', 'b'],
    });
    expect(files.map((f) => f.path)).toEqual([out, boxHeadPath(out)]);
    expect(boxHeadPath(out)).toBe(join(dir, 'm.box-head.onnx'));
    const onnx = await readFasterRcnnOnnx(out);
    expect(onnx.meta).toEqual(meta);
    expect(meta.model).toEqual({ arch: 'tiny', classes: ['bg', 'a', 'b'] });
    const a = await OrtFasterRcnn.create(model, { onnx });
    const b = await OrtFasterRcnn.create(model);
    const img = { ...image(48, 48, 3) };
    const [da] = await a.predict([img]);
    const [db] = await b.predict([img]);
    expect(da).toEqual(db);
    await Promise.all([a.release(), b.release()]);
    model.dispose();
  });

  it('thin and tiny images (2×3000, 1×1, 1×4000, 5000×40, 33×1) give valid detection lists clipped to the image', async () => {
    const model = smallModel();
    const det = new Detector(await ortEngine(model), 'tiny', { classes: ['bg', 'a', 'b'] });
    model.dispose();
    const shapes: [number, number][] = [
      [2, 3000],
      [1, 1],
      [1, 4000],
      [5000, 40],
      [33, 1],
    ];
    const imgs = shapes.map(([h, w], i) => image(h, w, 10 + i));
    // alone and batched together (padding to a shared size must not break either)
    const alone = await Promise.all(imgs.map(async (im) => (await det.predict([im]))[0]));
    const batched = await det.predict(imgs);
    for (const [i, dets] of [...alone, ...batched].entries()) {
      const im = imgs[i % imgs.length];
      expect(Array.isArray(dets)).toBe(true);
      for (const d of dets) {
        expect(d.box.x1).toBeGreaterThanOrEqual(0);
        expect(d.box.y1).toBeGreaterThanOrEqual(0);
        expect(d.box.x2).toBeLessThanOrEqual(im.width);
        expect(d.box.y2).toBeLessThanOrEqual(im.height);
        expect(Number.isFinite(d.score)).toBe(true);
      }
    }
    await det.release();
  });
});
