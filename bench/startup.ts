/**
 * Start-up cost of the built CLI, whole process: `resdet --help`, `resdet detect --help` and a real command that
 * loads only its own module (`resdet eval --gt --dt` on the small COCO fixture, pure JS) against `node -e 0`,
 * median of N runs each (target: help ≤ 5× node). Needs a build (`npm run build`).
 *   npm run bench -- bench/startup.ts [--runs 11]
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 11;
const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');

function medianMs(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const base = medianMs(['-e', '0']);
console.log(`node -e 0              ${base.toFixed(0)} ms (median of ${runs})`);
const small = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'coco-eval', 'small');
const cases: [string, string[]][] = [
  ['--help', ['--help']],
  ['detect --help', ['detect', '--help']],
  ['--version', ['--version']],
  ['eval --gt --dt', ['eval', '--gt', path.join(small, 'gt.json'), '--dt', path.join(small, 'dt.json')]],
];
for (const [label, args] of cases) {
  const t = medianMs([main, ...args]);
  console.log(`resdet ${label.padEnd(15)} ${t.toFixed(0)} ms  ${(t / base).toFixed(2)}× node -e 0`);
}
