/**
 * What fine-tuning learns, measured through the built CLI: the shapes-demo fixture model (circle, cross, square,
 * triangle) is fine-tuned with `train --from` to a generated dataset of circle, square, star and triangle (cross
 * dropped, star new) for 60 iterations (test/fixtures/training/shapes-finetune.json). The new class must reach a
 * held-out AP50 no more than NEW_CLASS_MARGIN below the worst measured seed, and every carried class must keep its
 * AP50 (the source model's on the same held-out images, evaluated here) within CARRIED_MARGIN.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, runCli } from '@resdet/testing';

/**
 * Held-out AP50 (60 images) after 60 iterations, seeds 0/1/2 (data and training seed), and the source model's AP50
 * on the same images before: circle 0.758→0.808, 0.846→0.870, 0.700→0.770; square 0.697→0.671, 0.799→0.739,
 * 0.714→0.748; triangle 0.908→0.957, 0.850→0.871, 0.894→0.841.
 */
const MEASURED_STAR_AP50 = [0.482, 0.451, 0.672];
const NEW_CLASS_MARGIN = 0.1;
const CARRIED_MARGIN = 0.1;
const CONFIG = path.join(REPO_ROOT, 'test/fixtures/training/shapes-finetune.json');
const SOURCE = path.join(REPO_ROOT, 'test/fixtures/models/shapes-demo.safetensors');

/** AP50 per class from `eval`'s per-category table on stdout. */
function ap50Table(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^(\w+)\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$/gm))
    out[m[1]] = Number(m[3]);
  return out;
}

describe('fine-tuning (train --from) teaches a new class and keeps the carried ones', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-finetune-quality-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`new class AP50 ≥ worst measured − ${NEW_CLASS_MARGIN}; carried classes within ${CARRIED_MARGIN} of the source`, () => {
    const data = path.join(dir, 'data');
    const gen = runCli(
      [
        'dataset',
        'shapes',
        '--out',
        data,
        '--format',
        'coco',
        '--count',
        '240',
        '--val-count',
        '60',
        '--seed',
        '0',
      ].concat(['--classes', 'circle,square,star,triangle']),
    );
    expect(gen.status).toBe(0);

    const before = runCli(['eval', '--model', SOURCE, '--dataset', data], { timeoutMs: 300_000 });
    expect(before.status).toBe(0);
    const source = ap50Table(before.stdout);
    expect(Object.keys(source).sort()).toEqual(['circle', 'square', 'star', 'triangle']);

    const out = path.join(dir, 'run');
    const train = runCli(
      ['train', '--config', CONFIG, '--dataset', data, '--from', SOURCE, '--seed', '0', '--out', out],
      { timeoutMs: 900_000 },
    );
    expect({ status: train.status, stderr: train.status === 0 ? '' : train.stderr.slice(-2000) }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(train.stderr).toMatch(/new 1 class\(es\), freshly initialised: star/);
    expect(train.stderr).toMatch(/dropped 1 source class\(es\): cross/);

    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as {
      per_category: Record<string, { name: string; AP50: number }>;
    };
    const after = Object.fromEntries(Object.values(metrics.per_category).map((c) => [c.name, c.AP50]));
    expect(after.star).toBeGreaterThanOrEqual(Math.min(...MEASURED_STAR_AP50) - NEW_CLASS_MARGIN);
    for (const name of ['circle', 'square', 'triangle']) {
      expect({ name, ap50: after[name] >= source[name] - CARRIED_MARGIN }).toEqual({ name, ap50: true });
    }
  });
});
