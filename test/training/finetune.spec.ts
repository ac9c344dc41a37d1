/**
 * Fine-tuning end to end through the library (`train --from`): the committed shapes-demo detector
 * (test/fixtures/models/shapes-demo: circle, cross, square, triangle) fine-tuned on a tiny generated shapes
 * dataset without `cross` and with `star` for a few iterations. The result must be a normal resdet checkpoint
 * with the dataset's classes that `openDetector` (detect, eval, serve) loads, the run log must say what was
 * carried, and `--resume` must continue such a run exactly as an uninterrupted one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImage, writeShapesDataset } from '@resdet/data';
import { loadCheckpoint, readCheckpointMeta } from '@resdet/checkpoint';
import { openDetector } from '@resdet/inference';
import { initRuntime } from '@resdet/runtime';
import { runDetectionTraining, type DetectionTrainingOptions } from '@resdet/training';

const REPO = path.join(__dirname, '../..');
const SOURCE = path.join(REPO, 'test/fixtures/models/shapes-demo.safetensors');
const CONFIG = path.join(REPO, 'configs/shapes_demo.json');
const ITERATIONS = 4;

describe('train --from: fine-tune the shapes-demo detector to other classes', () => {
  let dir: string;
  let data: string;
  const config = JSON.parse(fs.readFileSync(CONFIG, 'utf8')) as Record<string, Record<string, unknown>>;
  config.train = {
    ...config.train,
    batchSize: 2,
    warmupIters: 2,
    milestones: [],
    baseLr: 0.005,
    freezeRpn: true,
    backboneLrMultiplier: 0.1,
  };
  config.data = { ...config.data, maxValImages: 2 };

  const run = (outDir: string, extra: Partial<DetectionTrainingOptions> = {}) => {
    const log: string[] = [];
    const done = runDetectionTraining({
      config,
      configSource: CONFIG,
      dataset: { root: data, format: 'coco' },
      outDir,
      from: SOURCE,
      train: { maxIterations: ITERATIONS, seed: 0 },
      log: (m) => log.push(m),
      ...extra,
    });
    return { done, log };
  };

  beforeAll(async () => {
    await initRuntime({ backend: 'wasm' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-finetune-'));
    data = path.join(dir, 'data');
    await writeShapesDataset({
      out: data,
      format: 'coco',
      count: 8,
      valCount: 2,
      seed: 3,
      shapes: {
        classes: ['circle', 'square', 'star', 'triangle'],
        minObjectSize: 20,
        maxObjects: 3,
        maxLines: 2,
      },
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a normal checkpoint with the dataset classes, logs what was carried, and detect loads it', async () => {
    const { done, log } = run(path.join(dir, 'a'));
    const r = await done;
    expect(r).toMatchObject({ reason: 'completed', iteration: ITERATIONS });
    const want = ['__background__', 'circle', 'square', 'star', 'triangle'];
    expect(r.classes).toEqual(want);
    const text = log.join('\n');
    expect(text).toContain(`initialised from ${SOURCE}:`);
    expect(text).toContain('source class names from its checkpoint');
    expect(text).toContain('carried 3 class(es) + background: circle, square, triangle');
    expect(text).toContain('new 1 class(es), freshly initialised: star');
    expect(text).toContain('dropped 1 source class(es): cross');
    expect(text).toMatch(
      /trainable: \d+ of \d+ parameter tensors \(trainableLayers 5, backboneNorm batch, RPN frozen, backbone lr ×0.1\)/,
    );

    expect(r.modelFile).toBe(path.join(dir, 'a', 'model.safetensors'));
    const meta = readCheckpointMeta(r.modelFile!);
    expect(meta).toMatchObject({
      arch: 'fasterrcnn_shapes_demo',
      classes: want,
      numClasses: 5,
      finetunedFrom: SOURCE,
    });
    // The RPN was frozen: its weights are still the source's.
    const source = loadCheckpoint(SOURCE, { optimizer: false }).model;
    const tuned = loadCheckpoint(r.modelFile!, { optimizer: false }).model;
    const bytes = (k: string, sd: typeof source) => Buffer.from((sd.get(k)!.data as Float32Array).buffer);
    expect(bytes('rpn.head.conv.0.0.weight', tuned).equals(bytes('rpn.head.conv.0.0.weight', source))).toBe(
      true,
    );
    expect(
      bytes('roi_heads.box_head.fc6.weight', tuned).equals(bytes('roi_heads.box_head.fc6.weight', source)),
    ).toBe(false);

    const detector = await openDetector({ weights: r.modelFile });
    try {
      expect(detector.info.classes).toEqual(want);
      const image = await readImage(path.join(data, 'val', fs.readdirSync(path.join(data, 'val'))[0]));
      const [dets] = await detector.predict([image]);
      expect(Array.isArray(dets)).toBe(true);
      for (const d of dets) expect(want).toContain(d.label);
    } finally {
      detector.dispose();
    }
  }, 600_000);

  it('--resume continues a fine-tuning run exactly (the --from init applies only to the fresh run)', async () => {
    // Compared with the uninterrupted run of the test above (out dir a).
    const outDir = path.join(dir, 'b');
    const ac = new AbortController();
    const first = run(outDir, {
      signal: ac.signal,
      onEvent: (e) => e.type === 'iteration' && e.iteration === 2 && ac.abort(),
    });
    expect(await first.done).toMatchObject({ reason: 'aborted', iteration: 2 });
    const second = run(outDir, { resume: true });
    const r = await second.done;
    expect(r).toMatchObject({ reason: 'completed', iteration: ITERATIONS });
    expect(second.log.join('\n')).toContain('the checkpoint holds the model; --from');
    const a = loadCheckpoint(path.join(dir, 'a', 'model'), { optimizer: false }).model;
    const b = loadCheckpoint(path.join(outDir, 'model'), { optimizer: false }).model;
    const differ = [...a].filter(
      ([k, t]) => !Buffer.from(b.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)),
    );
    expect(differ.map(([k]) => k)).toEqual([]);
  }, 600_000);
});
