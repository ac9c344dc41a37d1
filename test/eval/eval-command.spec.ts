import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CLI_ENTRY } from '@resdet/testing';

// End to end: `npm run cli -- eval` as a child process on a shared fixture, checking the printed summary, the
// --json contract of ARCHITECTURE.md, the PNG plots, and errors for bad input.
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIX = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'coco-eval', 'edge');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'eval', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('eval command', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'resdet-eval-'));

  it('prints the pycocotools summary, writes --json and --plots', () => {
    const json = path.join(out, 'metrics.json');
    const plots = path.join(out, 'plots');
    const r = cli(
      '--gt',
      path.join(FIX, 'gt.json'),
      '--dt',
      path.join(FIX, 'dt.json'),
      '--json',
      json,
      '--plots',
      plots,
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.455');
    expect(lines[11]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 1.000');
    const expected = JSON.parse(readFileSync(path.join(FIX, 'expected.json'), 'utf8'));
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(written).sort()).toEqual(['per_category', 'stats']);
    written.stats.forEach((s: number, i: number) =>
      expect(Math.abs(s - expected.stats[i])).toBeLessThanOrEqual(1e-9),
    );
    expect(Object.keys(written.per_category).sort()).toEqual(['1', '2', '3', '7']);
    for (const [id, ap] of Object.entries(written.per_category)) {
      expect(Math.abs((ap as number) - expected.per_category_ap[id])).toBeLessThanOrEqual(1e-9);
    }
    const pngs = readdirSync(plots).sort();
    expect(pngs).toContain('pr-all.png');
    expect(pngs.length).toBe(5); // all + 4 categories with ground truth
    expect(readFileSync(path.join(plots, 'pr-all.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('reports results on unknown images with exit code 2 and a message naming one', () => {
    const bad = path.join(out, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ image_id: 12345, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 }]));
    const r = cli('--gt', path.join(FIX, 'gt.json'), '--dt', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('image_id 12345 at [0]');
  });

  it('warns and prints zeros for an empty results list', () => {
    const empty = path.join(out, 'empty.json');
    writeFileSync(empty, '[]');
    const r = cli('--gt', path.join(FIX, 'gt.json'), '--dt', empty);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*empty/);
    expect(r.stdout.split('\n')[0]).toMatch(/= 0\.000$/);
  });

  it('asks for both --gt and --dt', () => {
    const r = cli('--gt', path.join(FIX, 'gt.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--dt');
  });
});
