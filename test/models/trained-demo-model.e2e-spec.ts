import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { REPO_ROOT, runCli } from '@resdet/testing';

/**
 * A real trained model, end to end through the CLI: `test/fixtures/models/shapes-demo.*` is the model
 * `npm run demo` trained (seed 0, 1400 iterations; stored fp16 by tools/make_demo_model_fixture.ts). On held-out
 * images it has never seen (a different seed than its training data, the demo's generator settings) it must
 * still detect: COCO AP50 ≥ 0.8 through `eval --model` (and VOC mAP ≥ 0.8 on a VOC tree), and `detect` must find
 * the same confident boxes with `--engine ort` as with tfjs. An untrained or mis-wired model scores ≈ 0 here.
 */
const MODEL = path.join(REPO_ROOT, 'test/fixtures/models/shapes-demo.safetensors');
const DEMO = JSON.parse(readFileSync(path.join(REPO_ROOT, 'configs/shapes_demo.json'), 'utf8')).demo;

describe('trained shapes-demo model (fixture) on unseen images', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-trained-'));

  beforeAll(async () => {
    for (const format of ['coco', 'voc'] as const) {
      await writeShapesDataset({
        out: path.join(root, format),
        format,
        count: 1,
        valCount: 40,
        seed: 4242,
        shapes: DEMO.shapes,
      });
    }
  });

  const evalStats = (args: string[]) => {
    const out = path.join(root, `m-${args.join('-').replace(/\W+/g, '_')}.json`);
    const r = runCli(['eval', '--model', MODEL, ...args, '--json', out]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    return { stats: JSON.parse(readFileSync(out, 'utf8')).stats as number[], stdout: r.stdout };
  };

  let ortStats: number[] | undefined;

  it('COCO tree: AP50 ≥ 0.8 on 40 unseen images (onnxruntime engine)', () => {
    const { stats, stdout } = evalStats(['--dataset', path.join(root, 'coco'), '--engine', 'ort']);
    expect(stdout).toMatch(
      /Average Precision {2}\(AP\) @\[ IoU=0.50 {6}\| area= {3}all \| maxDets=100 \] = 0\.\d{3}/,
    );
    expect(stats[1]).toBeGreaterThanOrEqual(0.8);
    ortStats = stats;
  });

  it('eval --model gives the same 12 numbers (±0.005) on --engine tfjs as on --engine ort', () => {
    const { stats } = evalStats(['--dataset', path.join(root, 'coco'), '--engine', 'tfjs']);
    expect(ortStats).toHaveLength(12);
    expect(stats).toHaveLength(12);
    stats.forEach((s, i) => expect(Math.abs(s - ortStats![i])).toBeLessThanOrEqual(0.005));
  });

  it('VOC tree: VOC AP table and COCO AP50 ≥ 0.8', () => {
    const { stats, stdout } = evalStats(['--dataset', path.join(root, 'voc'), '--format', 'voc']);
    expect(stdout).toMatch(/VOC2012 AP@0.5 per class/);
    const map = Number(/mAP = ([\d.]+)/.exec(stdout)![1]);
    expect(map).toBeGreaterThanOrEqual(0.8);
    expect(stats[1]).toBeGreaterThanOrEqual(0.8);
  });

  it('detect with onnxruntime and tfjs agree on the trained model', () => {
    const run = (engine: string) => {
      const out = path.join(root, `det-${engine}.json`);
      expect(
        runCli([
          'detect',
          '--weights',
          MODEL,
          '--engine',
          engine,
          '--out',
          out,
          path.join(root, 'coco', 'val'),
        ]).status,
      ).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')) as { file_name: string; label: string; score: number }[];
    };
    const ort = run('ort');
    const tfjs = run('tfjs');
    expect(ort.length).toBeGreaterThan(40);
    const confident = (d: { score: number }[]) => d.filter((x) => x.score >= 0.5).length;
    expect(Math.abs(confident(ort) - confident(tfjs))).toBeLessThanOrEqual(1);
    expect(new Set(ort.map((d) => d.label))).toEqual(new Set(['circle', 'cross', 'square', 'triangle']));
  });
});
