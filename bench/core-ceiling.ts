/**
 * bench/core-ceiling: what N cores can give resdet's work on this machine at best. Runs one single-threaded job
 * alone, then N copies of it at once as separate processes (no shared memory, no gradient merge, no messages),
 * and prints each copy's speed and the aggregate speed-up over the lone run. Threads of one process cannot do
 * better than independent processes, so this is the ceiling the worker-thread benches are measured against:
 *   --job train   bench/train-workers.ts --workers 1 (the demo's step, its shards one after another), s/iteration,
 *                 the ceiling of `bench/train-workers.ts --workers N`;
 *   --job detect  the built CLI's `detect --workers 1` over generated 128×128 images, images/s, the ceiling of
 *                 `bench/detect-workers.ts`.
 * Not a test: it prints figures. Run it on an otherwise idle machine.
 *
 *   npm run build && node -r ./tools/register.js bench/core-ceiling.ts [--job train|detect] [--copies 2]
 *     [--rounds 2] [--config configs/shapes_demo.json] [--shard-size 4] [--iterations 40] [--warmup 5]
 *     [--count 96]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { detectCliArgs, detectImagesPerSecond } from './detect-cli';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const ROOT = path.resolve(__dirname, '..');

/** Runs `node args…` and resolves to what `parse` reads off its output (stdout and stderr). */
function child(args: string[], parse: (out: string) => number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code) => {
      const v = parse(out);
      if (code === 0 && v !== undefined) resolve(v);
      else reject(new Error(`${path.basename(args[args.length - 1])} exited ${code}:\n${out.slice(-2000)}`));
    });
  });
}

/** One lone-thread training run; its median s/iteration, as a speed (iterations/s). */
function trainRun(seed: number): Promise<number> {
  const args = [
    '-r',
    path.join(ROOT, 'tools', 'register.js'),
    path.join(ROOT, 'bench', 'train-workers.ts'),
    '--workers',
    '1',
    '--seed',
    String(seed),
    ...['config', 'shard-size', 'iterations', 'warmup'].flatMap((k) => {
      const v = flag(k, '');
      return v ? [`--${k}`, v] : [];
    }),
  ];
  return child(args, (out) => {
    const m = /workers 1: ([\d.]+) s\/iter/.exec(out);
    return m ? 1 / Number(m[1]) : undefined;
  });
}

/** One `detect --workers 1` over `dir` (the built CLI, the committed shapes-demo model); its images/s. */
function detectRun(dir: string, out: string): Promise<number> {
  return child(detectCliArgs({ workers: 1, dir, out }), detectImagesPerSecond);
}

async function main(): Promise<void> {
  const job = flag('job', 'train');
  const copies = Number(flag('copies', '2'));
  const rounds = Number(flag('rounds', '1'));
  let run: (copy: number) => Promise<number>;
  let unit: string;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'resdet-ceiling-'));
  if (job === 'train') {
    // Different seeds so the copies do not run in lock-step on identical data.
    run = (copy) => trainRun(copy);
    unit = 'iterations/s (bench/train-workers --workers 1)';
  } else if (job === 'detect') {
    await writeShapesDataset({
      out: tmp,
      format: 'coco',
      count: Number(flag('count', '96')),
      valCount: 0,
      seed: 0,
    });
    run = (copy) => detectRun(path.join(tmp, 'train'), path.join(tmp, `out${copy}.ndjson`));
    unit = 'images/s (detect --workers 1 --batch-size 1)';
  } else throw new Error(`--job must be train or detect, got "${job}"`);
  console.log(
    `${copies} copies of a one-thread job at once vs one alone, in ${unit}; ${os.availableParallelism()} cores, ` +
      `load ${os.loadavg()[0].toFixed(2)}`,
  );
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const alone = await run(0);
    const together = await Promise.all(Array.from({ length: copies }, (_, i) => run(i)));
    const aggregate = together.reduce((a, v) => a + v / alone, 0);
    ratios.push(aggregate);
    console.log(
      `round ${r + 1}: alone ${alone.toFixed(3)}; ${copies} at once ${together.map((v) => v.toFixed(3)).join(', ')}; ` +
        `aggregate ×${aggregate.toFixed(2)} (ideal ×${copies}), load ${os.loadavg()[0].toFixed(2)}`,
    );
  }
  rmSync(tmp, { recursive: true, force: true });
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(`median aggregate ×${sorted[Math.floor(sorted.length / 2)].toFixed(2)} over ${rounds} rounds`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
