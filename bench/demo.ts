/**
 * The README's first command for several seeds: runs `npm run cli -- demo --seed S` (data, training, held-out
 * evaluation, drawings) for each seed and prints held-out AP50, AP and wall time per seed, from the demo's own
 * summary line (`AP50 <x>  AP <y>  —  <s> s in all …`).
 *
 *   npm run bench -- bench/demo.ts [--seeds 0,1,2] [--jobs 1] [--out runs/bench-demo] [-- extra demo flags]
 *
 * `--jobs 2` runs two seeds at once (faster in all, but each run's time is then not the demo's time on an idle
 * machine). The demo's contract is AP50 ≥ 0.9 for seeds 0, 1 and 2; the exit code is 1 when a seed misses it.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { parseDemoSummary } from '@resdet/testing';

const AP50_TARGET = 0.9;

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

interface SeedResult {
  seed: number;
  ap50: number;
  ap: number;
  seconds: number;
  error?: string;
}

function runDemo(seed: number, out: string, extra: string[]): Promise<SeedResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      'npm',
      [
        'run',
        '--silent',
        'cli',
        '--',
        'demo',
        '--seed',
        String(seed),
        '--out',
        path.join(out, `seed-${seed}`),
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.on('close', (code) => {
      const summary = parseDemoSummary(stdout);
      const seconds = (Date.now() - started) / 1000;
      if (code !== 0 || !summary) {
        resolve({ seed, ap50: NaN, ap: NaN, seconds, error: `exit ${code}, no summary line` });
      } else {
        resolve({ seed, ap50: summary.ap50, ap: summary.ap, seconds });
      }
    });
  });
}

async function main(): Promise<void> {
  const seeds = arg('seeds', '0,1,2').split(',').map(Number);
  const jobs = Math.max(1, Number(arg('jobs', '1')));
  const out = arg('out', 'runs/bench-demo');
  const dashdash = process.argv.indexOf('--', 2);
  const extra = dashdash >= 0 ? process.argv.slice(dashdash + 1) : [];
  const queue = [...seeds];
  const results: SeedResult[] = [];
  await Promise.all(
    Array.from({ length: Math.min(jobs, seeds.length) }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift())
        results.push(await runDemo(s, out, extra));
    }),
  );
  results.sort((a, b) => a.seed - b.seed);
  const lines = [
    'seed  AP50   AP     wall s',
    ...results.map(
      (r) =>
        `${String(r.seed).padEnd(5)} ${r.ap50.toFixed(3)}  ${r.ap.toFixed(3)}  ${r.seconds.toFixed(0)}${r.error ? `  (${r.error})` : ''}`,
    ),
  ];
  const worst = Math.min(...results.map((r) => r.ap50));
  lines.push(`worst AP50 ${worst.toFixed(3)} (target ≥ ${AP50_TARGET}), ${jobs} job(s) at a time`);
  process.stdout.write(lines.join('\n') + '\n');
  if (!(worst >= AP50_TARGET)) process.exitCode = 1;
}

void main();
