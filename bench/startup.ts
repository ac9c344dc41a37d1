/**
 * Start-up cost of the built CLI, whole process: `resdet --help` and `resdet detect --help` against
 * `node -e 0`, median of N runs each (target: help ≤ 5× node). Needs a build (`npm run build`).
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
for (const args of [['--help'], ['detect', '--help'], ['--version']]) {
  const t = medianMs([main, ...args]);
  console.log(`resdet ${args.join(' ').padEnd(15)} ${t.toFixed(0)} ms  ${(t / base).toFixed(2)}× node -e 0`);
}
