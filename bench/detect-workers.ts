/**
 * Local `detect` over a folder of generated shapes images with 1 and with 2 worker threads (tfjs engine), through
 * the built CLI as a user runs it:
 *   node tools/build.js && npm run bench -- bench/detect-workers.ts [--count 48] [--weights W] [--batch-size 1]
 *     [--rounds 1]
 * Prints images/s for each (the job's own time, model loading excluded), the ratio, and whether both NDJSON
 * outputs are byte-identical. With `--rounds R` the two runs alternate R times (1, 2, 1, 2, …) so that a shared
 * machine's changing load falls on both alike; each round's ratio and the median are printed, with the load
 * average. The figure means little on a machine that other processes keep busy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { detectCliArgs, detectImagesPerSecond } from './detect-cli';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

function detect(workers: number, dir: string, out: string): number {
  const r = spawnSync(
    process.execPath,
    detectCliArgs({
      workers,
      dir,
      out,
      weights: arg('weights', '') || undefined,
      batchSize: arg('batch-size', '1'),
    }),
    { encoding: 'utf8' },
  );
  const rate = detectImagesPerSecond(r.stderr);
  if (r.status !== 0 || rate === undefined)
    throw new Error(`detect --workers ${workers} failed:\n${r.stderr}`);
  return rate;
}

async function main(): Promise<void> {
  const count = Number(arg('count', '48'));
  const rounds = Number(arg('rounds', '1'));
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-workers-'));
  await writeShapesDataset({ out: root, format: 'coco', count, valCount: 0, seed: 0 });
  const dir = path.join(root, 'train');
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
  console.log(
    `${count} images 128×128, ${availableParallelism()} cores, load average ${load()} (1, 5, 15 min)`,
  );
  const ratios: number[] = [];
  let same = true;
  for (let r = 0; r < rounds; r++) {
    const one = detect(1, dir, path.join(root, 'w1.ndjson'));
    const two = detect(2, dir, path.join(root, 'w2.ndjson'));
    same &&=
      readFileSync(path.join(root, 'w1.ndjson'), 'utf8') ===
      readFileSync(path.join(root, 'w2.ndjson'), 'utf8');
    ratios.push(two / one);
    console.log(
      `round ${r + 1}: 1 worker ${one.toFixed(2)} img/s, 2 workers ${two.toFixed(2)} img/s, ratio ${(two / one).toFixed(2)}× (load ${loadavg()[0].toFixed(1)})`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  console.log(
    `ratio ${median.toFixed(2)}× (median of ${rounds}); outputs ${same ? 'byte-identical' : 'DIFFER'}`,
  );
  console.log(`load average after: ${load()}`);
}

void main();
