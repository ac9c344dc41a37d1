/**
 * Speed of `eval` on a COCO-val-sized case (see eval-case.ts). Prints:
 * - the whole-process time of `npm run cli -- eval --gt --dt` (spawned child: node start-up, CLI, JSON parsing,
 *   evaluation, printing), best of 3,
 * - in-process times of JSON.parse and of evaluateCoco (load + evaluate + accumulate + summarize).
 * Usage: node -r ./tools/register.js bench/eval.ts [--images 5000]
 */
import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import * as path from 'path';
import { evaluateCoco } from '@resdet/eval';
import { makeEvalCase } from './eval-case';

const argImages = process.argv.indexOf('--images');
const numImages = argImages > 0 ? Number(process.argv[argImages + 1]) : 5000;
const root = path.resolve(__dirname, '..');
const dir = path.join(tmpdir(), `resdet-bench-eval-${numImages}`);
mkdirSync(dir, { recursive: true });
const gtFile = path.join(dir, 'gt.json');
const dtFile = path.join(dir, 'dt.json');

let t = process.hrtime.bigint();
const ms = (): number => {
  const now = process.hrtime.bigint();
  const d = Number(now - t) / 1e6;
  t = now;
  return d;
};
const { gt, dt } = makeEvalCase(2017, numImages);
writeFileSync(gtFile, JSON.stringify(gt));
writeFileSync(dtFile, JSON.stringify(dt));
const crowd = gt.annotations.filter((a) => a.iscrowd).length;
console.log(
  `case: ${gt.images.length} images, ${gt.categories.length} categories, ${gt.annotations.length} gt ` +
    `(${(gt.annotations.length / gt.images.length).toFixed(2)}/img, ${crowd} crowd), ${dt.length} detections ` +
    `(${(dt.length / gt.images.length).toFixed(1)}/img); generated in ${ms().toFixed(0)} ms in ${dir}`,
);

const runs: number[] = [];
let out = '';
for (let i = 0; i < 3; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    ['-r', './tools/register.js', 'apps/cli/src/main.ts', 'eval', '--gt', gtFile, '--dt', dtFile],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.status !== 0) throw new Error(`eval exited ${r.status}: ${r.stderr}`);
  out = r.stdout;
}
console.log(out.split('\n').slice(0, 12).join('\n'));
console.log(
  `whole process (spawned CLI eval): ${runs.map((x) => (x / 1000).toFixed(2)).join(' s, ')} s  (best ${(Math.min(...runs) / 1000).toFixed(2)} s)`,
);

const helpArgs = ['-r', './tools/register.js', 'apps/cli/src/main.ts', 'eval', '--help'];
spawnSync(process.execPath, helpArgs, { cwd: root }); // warm the file cache
ms();
spawnSync(process.execPath, helpArgs, { cwd: root });
console.log(`CLI start-up alone (eval --help): ${(ms() / 1000).toFixed(2)} s`);

const cpu = (u: NodeJS.CpuUsage): string => `${((u.user + u.system) / 1000).toFixed(0)} ms cpu`;
const rounds: string[] = [];
for (let i = 0; i < 3; i++) {
  ms();
  let c = process.cpuUsage();
  const gtJson = JSON.parse(readFileSync(gtFile, 'utf8'));
  const dtJson = JSON.parse(readFileSync(dtFile, 'utf8'));
  const parse = `${ms().toFixed(0)} ms (${cpu(process.cpuUsage(c))})`;
  c = process.cpuUsage();
  const res = evaluateCoco(gtJson, dtJson);
  const ev = `${ms().toFixed(0)} ms (${cpu(process.cpuUsage(c))})`;
  rounds.push(`read+JSON.parse ${parse}, evaluateCoco ${ev}, AP ${res.stats[0].toFixed(4)}`);
}
rounds.forEach((r, i) => console.log(`in-process #${i + 1}: ${r}`));
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
console.log(
  `cpus ${cpus().length}, load average ${load} (timings on a shared machine; cpu ms is less noisy)`,
);
