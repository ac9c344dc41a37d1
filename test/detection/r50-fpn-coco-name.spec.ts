/**
 * A torchvision checkpoint shaped like torchvision's published COCO `fasterrcnn_resnet50_fpn` file, end to end:
 * torch's legacy format, pre-0.13 key names (`rpn.head.conv.weight`, `backbone.fpn.inner_blocks.0.weight`, … which
 * torchvision upgrades on load), FrozenBatchNorm2d keys, 91 classes, and the published file name — so resdet's
 * weights table applies FrozenBN eps 0 as torchvision's `overwrite_eps(model, 0.0)` does.
 *
 * The model is `fasterrcnn_resnet50_fpn`'s code path at narrow widths (config.json: Bottleneck body of width 8 with
 * one block per stage, FPN 32 channels, TwoMLPHead 32) so the fixture stays ~1 MB; the full-size model is checked
 * by tools/detection/check-r50-fpn-parity.ts (not in CI: ~160 MB weights). Fixture: test/fixtures/detection/
 * r50-fpn-coco-name, written by `tools/detection/r50_fpn_parity.py --fixture` (torch 1.13, torchvision 0.14), whose
 * expected.json holds torchvision's detections for this file with eps 0 and with eps 1e-5 (25 % of the BN channels
 * have tiny running_var, so eps changes the answer: the test shows which eps resdet used).
 * Tolerances: the issue's parity tolerances, boxes within 1e-2 px, scores within 1e-4, same labels.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWeights } from '@resdet/checkpoint';
import { readImage } from '@resdet/data';
import { openDetector, resolveModelSpec } from '@resdet/inference';
import { REPO_ROOT, runCli } from '@resdet/testing';

const FIX = path.join(REPO_ROOT, 'test/fixtures/detection/r50-fpn-coco-name');
const WEIGHTS = path.join(FIX, 'fasterrcnn_resnet50_fpn_coco-258fb6c6.pth');
const CONFIG = path.join(FIX, 'config.json');

interface ImageDets {
  boxes: number[][];
  scores: number[];
  labels: number[];
}
type Dets = Record<string, ImageDets>;

const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')) as {
  images: string[];
  eps0: Dets;
  'eps1e-5': Dets;
};
const IMAGES = expected.images.map((f) => path.join(FIX, f));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-r50-coco-name-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Worst differences after pairing each reference detection with the unused same-label one nearest in box. */
function compare(
  got: Dets,
  want: Dets,
): { count: [number, number]; unpaired: number; box: number; score: number } {
  const r = { count: [0, 0] as [number, number], unpaired: 0, box: 0, score: 0 };
  for (const file of Object.keys(want)) {
    const w = want[file];
    const g = got[file] ?? { boxes: [], scores: [], labels: [] };
    r.count[0] += g.scores.length;
    r.count[1] += w.scores.length;
    const used = new Set<number>();
    for (let i = 0; i < w.scores.length; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < g.scores.length; j++) {
        if (used.has(j) || g.labels[j] !== w.labels[i]) continue;
        const d = Math.max(...w.boxes[i].map((v, k) => Math.abs(v - g.boxes[j][k])));
        if (d < bestD) [best, bestD] = [j, d];
      }
      if (best < 0) {
        r.unpaired++;
        continue;
      }
      used.add(best);
      r.box = Math.max(r.box, bestD);
      r.score = Math.max(r.score, Math.abs(w.scores[i] - g.scores[best]));
    }
  }
  return r;
}

function expectSame(got: Dets, want: Dets): void {
  const c = compare(got, want);
  expect(c.count[0]).toBe(c.count[1]);
  expect(c.unpaired).toBe(0);
  expect(c.box).toBeLessThanOrEqual(1e-2);
  expect(c.score).toBeLessThanOrEqual(1e-4);
}

/** `detect --out` results (COCO, bbox xywh) → torchvision's form per image. */
function detectCli(engine: 'tfjs' | 'ort', weights = WEIGHTS): Dets {
  const out = path.join(tmp, `${engine}.json`);
  const res = runCli([
    'detect',
    '--config',
    CONFIG,
    '--weights',
    weights,
    '--engine',
    engine,
    '--out',
    out,
    ...IMAGES,
  ]);
  expect({ status: res.status, stderr: res.status === 0 ? '' : res.stderr }).toEqual({
    status: 0,
    stderr: '',
  });
  const results = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    file_name: string;
    category_id: number;
    bbox: number[];
    score: number;
  }[];
  const dets: Dets = {};
  for (const r of results) {
    const d = (dets[r.file_name] ??= { boxes: [], scores: [], labels: [] });
    const [x, y, w, h] = r.bbox;
    d.boxes.push([x, y, x + w, y + h]);
    d.scores.push(r.score);
    d.labels.push(r.category_id);
  }
  return dets;
}

describe('torchvision COCO-style checkpoint (legacy format, old key names, published name → eps 0)', () => {
  it('is read as torchvision publishes it: legacy format, 18 old names upgraded, COCO_V1 quirks applied', async () => {
    const w = loadWeights(WEIGHTS);
    expect(w.format).toBe('torch-legacy');
    expect(w.renamed).toHaveLength(18);
    expect(w.renamed).toContainEqual({ from: 'rpn.head.conv.weight', to: 'rpn.head.conv.0.0.weight' });
    expect(w.renamed).toContainEqual({
      from: 'backbone.fpn.layer_blocks.3.bias',
      to: 'backbone.fpn.layer_blocks.3.0.bias',
    });
    expect(w.known?.torchvisionName).toBe('FasterRCNN_ResNet50_FPN_Weights.COCO_V1');
    const spec = await resolveModelSpec({ config: CONFIG, weights: WEIGHTS }, w);
    expect(spec.config).toMatchObject({ frozenBnEps: 0, numClasses: 91, backboneNorm: 'frozen' });
    expect(spec.classes[1]).toBe('person');
  });

  it('the fixture discriminates eps: torchvision’s own eps 0 and eps 1e-5 detections differ', () => {
    const c = compare(expected['eps1e-5'], expected.eps0);
    expect(c.count[0] !== c.count[1] || c.score > 1e-2).toBe(true);
    expect(expected.eps0[expected.images[0]].scores.length).toBeGreaterThan(5);
  });

  it('detect --engine tfjs reproduces torchvision’s detections (eps 0)', () => {
    expectSame(detectCli('tfjs'), expected.eps0);
  });

  it('detect --engine ort reproduces torchvision’s detections (eps 0)', () => {
    expectSame(detectCli('ort'), expected.eps0);
  });

  it('under a name the weights table does not know, eps stays 1e-5 (torchvision’s eps 1e-5 answer)', async () => {
    const renamed = path.join(tmp, 'narrow_r50_fpn.pth');
    fs.copyFileSync(WEIGHTS, renamed);
    const det = await openDetector({ config: CONFIG, weights: renamed, backend: 'wasm', warmup: false });
    try {
      const got: Dets = {};
      for (const file of IMAGES) {
        const [dets] = await det.predict([await readImage(file)]);
        got[path.basename(file)] = {
          boxes: dets.map((d) => [d.box.x1, d.box.y1, d.box.x2, d.box.y2]),
          scores: dets.map((d) => d.score),
          labels: dets.map((d) => d.categoryId),
        };
      }
      expectSame(got, expected['eps1e-5']);
    } finally {
      det.dispose();
    }
  });
});
