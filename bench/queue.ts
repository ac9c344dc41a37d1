/**
 * Queued detection throughput on this machine: images/s of a local `detect` vs the same run on 1 and on 2
 * queue workers (worker processes of the built CLI, models already loaded by a warm-up run), and the Redis
 * cost per image (an in-process worker whose model and decoder cost nothing):
 *   npm run build && node -r ./tools/register.js bench/queue.ts [--count 96] [--chunk-size 8]
 * Needs Debian's redis-server (tools/ensure-system-deps.sh); starts its own on a free loopback port.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import type { ImageDetector } from '@resdet/inference';
import { DetectRuns, parseQueueUrl, startDetectWorker } from '@resdet/queue';
import { CLI_ENTRY, type CliProcess, REPO_ROOT, spawnCli, startRedis } from '@resdet/testing';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const WEIGHTS = path.join(REPO_ROOT, 'test/fixtures/models/shapes-demo.safetensors');

/** Runs `detect` and returns the img/s of its summary line (model load and process start-up excluded). */
function detect(args: string[]): number {
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'detect', '--weights', WEIGHTS, ...args], {
    encoding: 'utf8',
  });
  const m = /detect: (\d+) processed.*\(([\d.]+) img\/s\)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`detect failed:\n${r.stderr}`);
  return Number(m[2]);
}

async function main(): Promise<void> {
  const count = Number(arg('count', '96'));
  const chunk = arg('chunk-size', '8');
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-bench-queue-'));
  await writeShapesDataset({ out: root, format: 'coco', count, valCount: 8, seed: 11 });
  const input = path.join(root, 'train');
  const warm = path.join(root, 'val');
  const redis = await startRedis();
  const workers: CliProcess[] = [];
  const rows: [string, number][] = [];
  try {
    rows.push([
      'local detect (1 process)',
      detect(['--format', 'ndjson', '--out', path.join(root, 'l.ndjson'), input]),
    ]);
    for (const n of [1, 2]) {
      while (workers.length < n) {
        const w = spawnCli(['worker', '--queue', redis.url, '--concurrency', '1']);
        workers.push(w);
        await w.waitFor(/waiting for tasks/);
      }
      // warm-up: every worker loads the model before the timed run (chunks of 1 spread over all of them)
      detect(['--queue', redis.url, '--chunk-size', '1', warm]);
      const q = ['--queue', redis.url, '--chunk-size', chunk, '--format', 'ndjson'];
      rows.push([
        `queue, ${n} worker${n > 1 ? 's' : ''} (chunk ${chunk})`,
        detect([...q, '--out', path.join(root, `q${n}.ndjson`), input]),
      ]);
    }
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }

  // Redis cost per image: the whole queued path (submit, BullMQ tasks, per-image records, events) with a
  // model and decoder that cost nothing.
  const url = parseQueueUrl(redis.url);
  const free: ImageDetector = {
    info: { model: 'none', backend: 'none', classes: ['__background__', 'a'] },
    predict: async (ims) =>
      ims.map(() => [{ label: 'a', categoryId: 1, score: 0.9, box: { x1: 1, y1: 2, x2: 30, y2: 40 } }]),
    dispose: () => undefined,
  };
  const worker = await startDetectWorker({
    url,
    loadDetector: async () => free,
    decode: async () => ({ width: 1, height: 1, data: new Uint8Array(3) }),
  });
  const runs = DetectRuns.connect(url);
  const n = 2000;
  const items = Array.from({ length: n }, (_, i) => ({ file: `/x/${i}.jpg`, relative: `${i}.jpg` }));
  const t0 = performance.now();
  const id = await runs.submit({
    items,
    model: { source: { weights: 'none' }, hashes: {} },
    chunkSize: Number(chunk),
  });
  let seen = 0;
  for await (const e of runs.follow(id)) if (e.kind === 'result') seen++;
  const perImageMs = (performance.now() - t0) / n;
  await worker.close();
  await runs.close();
  await redis.stop();

  const base = rows[1][1];
  console.log(`queued detection, shapes-demo model (128 px), ${count} images, ${new Date().toISOString()}`);
  for (const [name, ips] of rows)
    console.log(
      `${name.padEnd(34)} ${ips.toFixed(2).padStart(7)} img/s  (${(ips / base).toFixed(2)}× 1 worker)`,
    );
  console.log(
    `Redis + BullMQ cost per image (chunk ${chunk}, free model, ${seen} images): ${perImageMs.toFixed(3)} ms`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
