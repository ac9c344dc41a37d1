/**
 * Training on a COCO tree with broken annotations (through the library, a tiny detector on 64×64 images, a few
 * iterations): a zero-width box, a box wholly outside its image, an unknown category id, an image whose
 * annotation list is empty and an annotated image whose file is missing. The bad boxes and the missing image
 * are dropped with one counted warning, every loss stays finite and the run finishes with a model.
 */
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { initRuntime } from '@resdet/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { tinyTrainingConfig } from '@resdet/testing';
import { runDetectionTraining } from '@resdet/training';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-broken-ann-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

interface CocoDoc {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { id: number; image_id: number; category_id: number; bbox: number[]; iscrowd: number }[];
  categories: { id: number }[];
}

const config = tinyTrainingConfig({ maxIterations: 6 });

describe('training on broken annotations (e2e, library)', () => {
  it('drops the bad boxes and the missing image with a counted warning, skips an undecodable image, and finishes', async () => {
    await initRuntime({ backend: 'wasm' });
    const data = path.join(dir, 'data');
    await writeShapesDataset({
      out: data,
      format: 'coco',
      count: 8,
      valCount: 2,
      seed: 4,
      shapes: { width: 64, height: 64 },
    });
    const annFile = path.join(data, 'annotations', 'instances_train.json');
    const doc = JSON.parse(await fs.readFile(annFile, 'utf8')) as CocoDoc;
    const [a, b, c, empty, missing, corrupt] = doc.images;
    const cat = doc.categories[0].id;
    let id = 1e6;
    doc.annotations = doc.annotations.filter((x) => x.image_id !== empty.id);
    doc.annotations.push(
      { id: id++, image_id: a.id, category_id: cat, bbox: [10, 10, 0, 12], iscrowd: 0 }, // zero width
      { id: id++, image_id: b.id, category_id: cat, bbox: [80, 90, 10, 10], iscrowd: 0 }, // outside 64×64
      { id: id++, image_id: c.id, category_id: 999, bbox: [5, 5, 20, 20], iscrowd: 0 }, // unknown category
    );
    await fs.writeFile(annFile, JSON.stringify(doc));
    await fs.rm(path.join(data, 'train', missing.file_name));
    // Present and non-empty, but not an image: found only when the loader decodes it.
    await fs.writeFile(path.join(data, 'train', corrupt.file_name), Buffer.alloc(4096, 7));

    const log: string[] = [];
    const losses: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const result = await runDetectionTraining({
      config,
      configSource: 'broken-annotations test',
      dataset: { root: data, format: 'coco' },
      outDir: path.join(dir, 'run'),
      log: (m) => log.push(m),
      onEvent: (e) => {
        if (e.type === 'iteration') losses.push(...Object.values(e.losses));
      },
    });

    const warnings = log.filter((l) => l.startsWith('warning: train split'));
    expect(warnings).toHaveLength(1);
    const counts = Object.fromEntries(
      [...warnings[0].matchAll(/(\d+) ([a-z-]+)/g)].map((m) => [m[2], Number(m[1])]),
    );
    expect(counts).toEqual({
      'box-degenerate': 2, // the zero-width box, and the outside box once clipped to nothing
      'box-outside': 1,
      'unknown-category': 1,
      'image-no-annotations': 1,
      'image-missing': 1,
    });
    expect(warnings[0]).toContain(annFile);
    const skipped = log.filter((l) =>
      l.startsWith(`warning: skipped training image ${path.join(data, 'train', corrupt.file_name)}: `),
    );
    expect(skipped).toHaveLength(1);
    expect(losses.length).toBeGreaterThan(0);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(result.modelFile && existsSync(result.modelFile)).toBe(true);
    expect(result.finalEval?.stats).toHaveLength(12);
    // Weights, momentum buffers and every step's tensors are freed when the run returns.
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
