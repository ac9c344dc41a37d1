/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * `export-onnx` end to end: the CLI exports torchvision's tiny_frcnn and tiny_frcnn_v2 fixture models
 * (test/fixtures/detection, tools/detection/make_model_fixtures.py and make_v2_model_fixtures.py, torch 1.13) and
 * the two files are opened with plain onnxruntime-node — no resdet code loads or runs them. Outputs are checked against resdet's tfjs path on the same batch (features,
 * RPN objectness and deltas: max |Δ| ≤ 1e-4 · max |value|) and the box head against torchvision's own class
 * logits and box regression for torchvision's proposals (≤ 1e-4, the tolerance of the detection parity tests);
 * for v2 also the FPN outputs against torchvision's (its FPN has BatchNorm, folded into the convs on export).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initRuntime } from '@resdet/runtime';
import { readSafetensors } from '@resdet/checkpoint';
import { buildFasterRcnn, resolveArchConfig, setupScales } from '@resdet/detection';
import { CLI_ENTRY } from '@resdet/testing';
import { maxAbsDiff } from '../support/max-abs-diff';

const repo = path.join(__dirname, '..', '..');
const FIX = path.join(repo, 'test/fixtures/detection');
const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-export-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The torchvision fixtures: `tiny_frcnn` (fasterrcnn_resnet50_fpn's parts, exported as a resnet18-fpn config) and
 * `tiny_frcnn_v2` (fasterrcnn_resnet50_fpn_v2's: BatchNorm in the FPN, two-conv RPN head, FastRCNNConvFCHead;
 * tools/detection/make_v2_model_fixtures.py), each as a config file for the CLI.
 */
function loadFixture(name: string) {
  const meta = JSON.parse(readFileSync(path.join(FIX, `${name}.json`), 'utf8'));
  const expected = readSafetensors(path.join(FIX, `${name}.expected.safetensors`)).tensors;
  const fixture = (k: string) => {
    const t = expected.get(k);
    if (!t) throw new Error(`${name}.expected.safetensors has no ${k}`);
    return t;
  };
  const c = meta.config;
  const cfgFile =
    name === 'tiny_frcnn'
      ? {
          arch: 'fasterrcnn_resnet18_fpn',
          model: {
            numClasses: c.numClasses,
            minSize: c.minSize,
            maxSize: c.maxSize,
            backboneWidth: c.stemWidth,
            backboneLayers: c.blocks,
            backboneNorm: 'frozen' as const,
            trainableLayers: 5,
            fpnOutChannels: c.fpnOutChannels,
            representationSize: c.representationSize,
          },
        }
      : { arch: 'fasterrcnn_resnet50_fpn_v2', model: c }; // v2's fixture config is resdet's
  return { meta, fixture, cfgFile, numClasses: c.numClasses as number };
}

function maxDiffRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-12);
}

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

describe('export-onnx', () => {
  it.each(['tiny_frcnn', 'tiny_frcnn_v2'])(
    '%s: writes two ONNX files that plain onnxruntime-node runs with tfjs/torchvision outputs',
    async (name) => {
      const { meta, fixture, cfgFile: cfg, numClasses } = loadFixture(name);
      const cfgFile = path.join(dir, `${name}.json`);
      writeFileSync(cfgFile, JSON.stringify(cfg));
      const out = path.join(dir, `${name}.onnx`);
      const r = spawnSync(
        process.execPath,
        [
          CLI_ENTRY,
          'export-onnx',
          '--config',
          cfgFile,
          '--weights',
          path.join(FIX, `${name}.weights.safetensors`),
          '--out',
          out,
          '--backend',
          'cpu',
        ],
        { cwd: repo, encoding: 'utf8', timeout: 110000 },
      );
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(out);
      const headFile = path.join(dir, `${name}.box-head.onnx`);
      expect(existsSync(headFile)).toBe(true);

      // ---- plain onnxruntime-node from here on ----
      const backbone = await ort.InferenceSession.create(out);
      const head = await ort.InferenceSession.create(headFile);
      expect(backbone.inputNames).toEqual(['images']);
      expect(backbone.outputNames).toEqual([
        'features.0',
        'features.1',
        'features.2',
        'features.3',
        'features.pool',
        'objectness',
        'deltas',
      ]);
      expect(head.outputNames).toEqual(['class_logits', 'box_regression']);

      // the tfjs reference on the same normalised, padded batch
      const model = buildFasterRcnn(resolveArchConfig(cfg.arch, cfg.model));
      model.loadStateDict(readSafetensors(path.join(FIX, `${name}.weights.safetensors`)).tensors);
      model.eval();
      const imgs = [0, 1].map((i) => {
        const t = fixture(`image.${i}`);
        return tf.div(
          tf.tensor3d(Float32Array.from(t.data as Uint8Array), t.shape as [number, number, number]),
          255,
        ) as tf.Tensor3D;
      });
      const batch = model.transform.forward(imgs);
      const [n, h, w] = batch.tensors.shape;
      const nchw = tf.tidy(() => tf.transpose(batch.tensors, [0, 3, 1, 2]).dataSync() as Float32Array);
      const outs = await backbone.run({ images: new ort.Tensor('float32', nchw, [n, 3, h, w]) });
      const feats = model.backbone.forward(batch.tensors);
      for (const [name, f] of feats) {
        const o = outs[`features.${name}`];
        expect(o.dims).toEqual([f.shape[0], f.shape[3], f.shape[1], f.shape[2]]);
        const ref = tf.tidy(() => tf.transpose(f, [0, 3, 1, 2]).dataSync());
        expect(maxDiffRel(o.data as Float32Array, ref)).toBeLessThanOrEqual(1e-4);
      }
      // v2 (BatchNorm in the FPN): torchvision's own FPN outputs, NCHW
      for (const f of (meta.featureNames ?? []) as string[]) {
        const o = outs[`features.${f}`].data as Float32Array;
        expect(maxDiffRel(o, fixture(`eval.features.${f}`).data as Float32Array)).toBeLessThanOrEqual(1e-4);
      }
      const shapes = { batchSize: [h, w] as const, imageSizes: batch.imageSizes };
      const rpn = model.rpn.headOutputs(shapes, feats);
      expect(outs.objectness.dims).toEqual(rpn.objectness.shape);
      expect(outs.deltas.dims).toEqual(rpn.deltas.shape);
      expect(maxDiffRel(outs.objectness.data as Float32Array, rpn.objectness.dataSync())).toBeLessThanOrEqual(
        1e-4,
      );
      expect(maxDiffRel(outs.deltas.data as Float32Array, rpn.deltas.dataSync())).toBeLessThanOrEqual(1e-4);
      // and torchvision's own objectness
      expect(
        maxDiffRel(outs.objectness.data as Float32Array, fixture('eval.objectness').data as Float32Array),
      ).toBeLessThanOrEqual(1e-4);

      // box head on torchvision's proposals: level per RoI (FPN Eqn. 1), rois pre-scaled, rows back in RoI order
      const proposals = [0, 1].map((i) =>
        Float32Array.from(fixture(`eval.proposals.${i}`).data as Float32Array),
      );
      const pooled = ['0', '1', '2', '3'].map((k) => outs[`features.${k}`]);
      const { scales, mapper } = setupScales(
        pooled.map((p) => p.dims[2]),
        batch.imageSizes,
      );
      const levels = mapper.map(proposals);
      const all: { img: number; box: Float32Array }[] = [];
      proposals.forEach((p, i) => {
        for (let j = 0; j < p.length; j += 4) all.push({ img: i, box: p.subarray(j, j + 4) });
      });
      const feeds: Record<string, ort.Tensor> = {};
      const order: number[] = [];
      pooled.forEach((p, l) => {
        feeds[`features.${l}`] = p;
        const members = all.map((_, r) => r).filter((r) => levels[r] === l);
        feeds[`rois.${l}`] = new ort.Tensor(
          'float32',
          Float32Array.from(members.flatMap((r) => Array.from(all[r].box, (v) => v * scales[l]))),
          [members.length, 4],
        );
        feeds[`batch_indices.${l}`] = new ort.Tensor(
          'int64',
          BigInt64Array.from(members.map((r) => BigInt(all[r].img))),
          [members.length],
        );
        order.push(...members);
      });
      const ho = await head.run(feeds);
      const k = numClasses;
      expect(ho.class_logits.dims).toEqual([all.length, k]);
      const logits = new Float32Array(all.length * k);
      const deltas = new Float32Array(all.length * 4 * k);
      order.forEach((r, q) => {
        logits.set((ho.class_logits.data as Float32Array).subarray(q * k, (q + 1) * k), r * k);
        deltas.set((ho.box_regression.data as Float32Array).subarray(q * 4 * k, (q + 1) * 4 * k), r * 4 * k);
      });
      expect(maxAbsDiff(logits, fixture('eval.class_logits').data as Float32Array)).toBeLessThan(1e-4);
      expect(maxAbsDiff(deltas, fixture('eval.box_regression').data as Float32Array)).toBeLessThan(1e-4);

      tf.dispose([batch.tensors, ...imgs, ...feats.values(), rpn.objectness, rpn.deltas]);
      model.dispose();
      await Promise.all([backbone.release(), head.release()]);
    },
  );
});
