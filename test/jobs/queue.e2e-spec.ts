import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { type CliProcess, REPO_ROOT, runCli, spawnCli, startRedis, type TestRedis } from '@resdet/testing';

const WEIGHTS = path.join(REPO_ROOT, 'test/fixtures/models/shapes-demo.safetensors');
// Short lock and stalled check so a killed worker's task comes back within a few seconds.
const WORKER_FLAGS = ['--concurrency', '1', '--lock-ms', '3000', '--stalled-check-ms', '1000'];

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('detect on queue workers (e2e: redis-server, worker processes, CLI)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-queue-'));
  const input = path.join(root, 'shapes', 'train');
  let redis: TestRedis;
  let local: string[];
  const workers: CliProcess[] = [];
  const startWorker = async () => {
    const w = spawnCli(['worker', '--queue', redis.url, ...WORKER_FLAGS]);
    workers.push(w);
    await w.waitFor(/waiting for tasks/);
    return w;
  };

  beforeAll(async () => {
    redis = await startRedis();
    await writeShapesDataset({
      out: path.join(root, 'shapes'),
      format: 'coco',
      count: 48,
      valCount: 0,
      seed: 3,
    });
    writeFileSync(path.join(input, 'zz-corrupt.jpg'), 'not an image');
    const starting = [startWorker(), startWorker()];
    const out = path.join(root, 'local.ndjson');
    const r = runCli(['detect', '--weights', WEIGHTS, '--format', 'ndjson', '--out', out, input]);
    expect(r.status).toBe(0);
    local = lines(out);
    expect(local).toHaveLength(48);
    await Promise.all(starting);
  });

  afterAll(async () => {
    // SIGTERM: each worker finishes its task and exits 0
    const codes = await Promise.all(
      workers.map((w) => {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        return w.exited;
      }),
    );
    await redis?.stop();
    expect(codes.filter((c) => c !== 'SIGKILL')).toEqual(codes.filter((c) => c !== 'SIGKILL').map(() => 0));
  });

  it('2 workers produce the local run’s NDJSON lines (order free), the same skip report and summary', async () => {
    const out = path.join(root, 'queued.ndjson');
    const r = runCli([
      'detect',
      '--weights',
      WEIGHTS,
      '--queue',
      redis.url,
      '--chunk-size',
      '4',
      '--format',
      'ndjson',
      '--out',
      out,
      input,
    ]);
    expect(r.stderr).toMatch(/skip zz-corrupt\.jpg: .*not a JPEG/);
    expect(r.stderr).toMatch(/detect: 48 processed, 1 skipped, \d+ detections/);
    expect(r.status).toBe(0);
    expect(lines(out).sort()).toEqual([...local].sort());
    expect(local.some((l) => JSON.parse(l).detections.length > 0)).toBe(true);
    // both workers took tasks (their logs arrive once this process reads its pipes again)
    await Promise.all(workers.map((w) => w.waitFor(/loaded \d+ tensors/, 10_000)));
  });

  it('a worker killed with -9 mid-run: its task is taken over, the run completes, each image once', async () => {
    const out = path.join(root, 'killed.ndjson');
    const run = spawnCli([
      'detect',
      '--weights',
      WEIGHTS,
      '--queue',
      redis.url,
      '--chunk-size',
      '2',
      '--format',
      'ndjson',
      '--out',
      out,
      input,
    ]);
    while (!existsSync(out) || readFileSync(out, 'utf8').split('\n').length < 8) {
      if (run.child.exitCode !== null) break;
      await sleep(100);
    }
    const [victim, survivor] = workers;
    victim.child.kill('SIGKILL');
    expect(await run.exited).toBe(0);
    const got = lines(out);
    expect(got).toHaveLength(48);
    expect(new Set(got.map((l) => JSON.parse(l).file_name)).size).toBe(48);
    expect(got.sort()).toEqual([...local].sort());
    expect(survivor.stderr()).toMatch(/stalled/);
    await startWorker();
  });

  it('tasks that keep failing are reported with their error after their attempts; the run still ends', async () => {
    // a model file cut short after it was copied to shared storage: every load fails
    const broken = path.join(root, 'broken');
    mkdirSync(broken);
    copyFileSync(WEIGHTS.replace(/\.safetensors$/, '.json'), path.join(broken, 'm.json'));
    writeFileSync(path.join(broken, 'm.safetensors'), readFileSync(WEIGHTS).subarray(0, 4096));
    const dir = path.join(root, 'few');
    mkdirSync(dir);
    readdirSync(input)
      .filter((f) => f.endsWith('.jpg') && !f.startsWith('zz'))
      .slice(0, 4)
      .forEach((f) => copyFileSync(path.join(input, f), path.join(dir, f)));
    const out = path.join(root, 'broken.ndjson');
    const r = runCli([
      'detect',
      '--weights',
      path.join(broken, 'm.safetensors'),
      '--queue',
      redis.url,
      '--chunk-size',
      '2',
      '--attempts',
      '2',
      '--format',
      'ndjson',
      '--out',
      out,
      dir,
    ]);
    await sleep(200); // let this process read the workers' logs
    expect(r.stderr).toMatch(/task 0 failed after its retries: .*m\.safetensors/);
    expect(r.stderr).toMatch(/task 1 failed after its retries/);
    expect(r.stderr).toMatch(
      /detect: 0 processed, 0 skipped, 0 detections, .*2 task\(s\) failed \(4 images without results\)/,
    );
    expect(r.stderr).toMatch(/failed: task 0 \(2 images without results, e\.g\. 0+\d\.jpg\)/);
    expect(r.status).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('');
    const logs = workers.map((w) => w.stderr()).join('\n');
    expect(logs).toMatch(/task \w+-0 failed \(attempt 1\/2\)/);
    expect(logs).toMatch(/task \w+-0 failed \(attempt 2\/2\)/);
  });

  it('--detach prints a run id; jobs results and jobs status work from another process', () => {
    const r = runCli(['detect', '--weights', WEIGHTS, '--queue', redis.url, '--detach', input]);
    expect(r.status).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const out = path.join(root, 'detached.json');
    const res = runCli(['jobs', 'results', id, '--queue', redis.url, '--format', 'json', '--out', out]);
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/detect: 48 processed, 1 skipped/);
    // json is in input order: the local NDJSON's detections, flattened
    const expected = local.flatMap((l) => {
      const rec = JSON.parse(l) as { file_name: string; detections: object[] };
      return rec.detections.map((d) => ({ file_name: rec.file_name, ...d }));
    });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(expected);
    const st = runCli(['jobs', 'status', id, '--queue', redis.url, '--json']);
    expect(st.status).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ id, state: 'done', total: 49, processed: 48, skipped: 1 });
  });
});
