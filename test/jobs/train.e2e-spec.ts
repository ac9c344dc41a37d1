/**
 * `train` end to end with a tiny shapes detector on 64×64 images (a few seconds per run): SIGTERM mid-run
 * writes a checkpoint and exits 0; `--resume` continues from that checkpoint's iteration to the end of the same
 * schedule and writes the final model, metrics.json (12 COCO numbers + per-category AP) and the loss curve; the
 * final model loads in `detect`; an absurd learning rate stops with a clear NaN/Inf message and exit code 1.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { CLI_ENTRY, REPO_ROOT, runCli, tinyTrainingConfig } from '@resdet/testing';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-train-e2e-'));
const data = path.join(dir, 'data');
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** The tiny training config, keeping two resumable checkpoints. */
function tinyConfig(train: Record<string, unknown>): object {
  return tinyTrainingConfig({ keepLast: 2, ...train });
}

async function writeConfig(name: string, train: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, JSON.stringify(tinyConfig(train)));
  return file;
}

function latestCheckpoint(out: string): { kept: string[] } | undefined {
  const index = path.join(out, 'checkpoints', 'checkpoints.json');
  return existsSync(index) ? JSON.parse(readFileSync(index, 'utf8')) : undefined;
}

beforeAll(async () => {
  await writeShapesDataset({
    out: data,
    format: 'coco',
    count: 8,
    valCount: 4,
    seed: 1,
    shapes: { width: 64, height: 64 },
  });
});

describe('train (e2e)', () => {
  it('SIGTERM writes a checkpoint and exits 0; --resume continues from it to the end; the model loads in detect', async () => {
    const config = await writeConfig('tiny.json', { maxIterations: 400, checkpointEvery: 2 });
    const out = path.join(dir, 'run');
    const child = spawn(
      process.execPath,
      [CLI_ENTRY, 'train', '--config', config, '--dataset', data, '--out', out],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait for the first periodic checkpoint, then stop the run like Ctrl-C / a scheduler would.
    const deadline = Date.now() + 60_000;
    while (!latestCheckpoint(out)?.kept.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(latestCheckpoint(out)?.kept.length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    const code = await exited;
    expect(stderr).toMatch(/SIGTERM: finishing the step and writing a checkpoint/);
    expect(code).toBe(0);
    const kept = latestCheckpoint(out)!.kept;
    const stoppedAt = Number(kept[kept.length - 1].replace('iter-', ''));
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(400);
    expect(existsSync(path.join(out, 'metrics.json'))).toBe(false); // not finished
    const sidecar = JSON.parse(
      readFileSync(path.join(out, 'checkpoints', `${kept[kept.length - 1]}.json`), 'utf8'),
    );
    expect(sidecar.arch).toBe('fasterrcnn_shapes_demo');
    expect(sidecar.training.iteration).toBe(stoppedAt);

    // Resume the same schedule, shortened to end a few steps later.
    const end = stoppedAt + 4;
    const resumed = runCli([
      'train',
      '--config',
      config,
      '--dataset',
      data,
      '--out',
      out,
      '--resume',
      '--iterations',
      String(end),
    ]);
    expect(resumed.stderr).not.toMatch(/"level":50/);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain(`resumed at iteration ${stoppedAt}`);
    expect(resumed.stderr).toContain(`stopped at iteration ${end} (completed)`);
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.iteration).toBe(end);
    expect(metrics.stats).toHaveLength(12);
    expect(metrics.stats.every((v: number) => typeof v === 'number' && v >= -1 && v <= 1)).toBe(true);
    expect(Object.keys(metrics.named)).toEqual([
      'AP',
      'AP50',
      'AP75',
      'APs',
      'APm',
      'APl',
      'AR1',
      'AR10',
      'AR100',
      'ARs',
      'ARm',
      'ARl',
    ]);
    expect(Object.values(metrics.per_category).map((c) => (c as { name: string }).name)).toEqual(
      expect.arrayContaining(['circle']),
    );
    expect(resumed.stdout).toContain(
      'Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]',
    );
    expect((await fs.stat(path.join(out, 'loss-curve.png'))).size).toBeGreaterThan(1000);
    // The loss history spans both runs (one point per iteration with historyEvery 1).
    const last = JSON.parse(
      readFileSync(path.join(out, 'checkpoints', `iter-${String(end).padStart(8, '0')}.json`), 'utf8'),
    );
    expect(last.training.history.points.length).toBe(end);

    // The final model is a resdet checkpoint that `detect` loads without any other flag.
    const det = runCli([
      'detect',
      '--weights',
      path.join(out, 'model.safetensors'),
      '--out',
      path.join(dir, 'dets.json'),
      path.join(data, 'val'),
    ]);
    expect(det.stderr).toMatch(/4 processed, 0 skipped/);
    expect(det.status).toBe(0);
    expect(Array.isArray(JSON.parse(readFileSync(path.join(dir, 'dets.json'), 'utf8')))).toBe(true);
  });

  it('a non-finite loss stops the run with a clear message and exit code 1', async () => {
    const config = await writeConfig('nan.json', {
      maxIterations: 50,
      checkpointEvery: 1,
      baseLr: 1e12,
      warmupIters: 0,
    });
    const out = path.join(dir, 'nan');
    const r = runCli(['train', '--config', config, '--dataset', data, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /error: loss is not finite at iteration \d+ .*training stopped before the optimizer step/,
    );
    expect(r.stderr).toMatch(/Last good checkpoint: .*iter-\d+\.safetensors/);
    expect(existsSync(path.join(out, 'metrics.json'))).toBe(false);
  });
});
