/**
 * The built CLI's `detect` as the worker benches run it (bench/detect-workers.ts, bench/core-ceiling.ts): the
 * committed shapes-demo model on tfjs, NDJSON out, and the images/s the job reports on stderr.
 */
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export interface DetectCliRun {
  workers: number;
  /** Folder of images. */
  dir: string;
  /** NDJSON results file. */
  out: string;
  /** Default: test/fixtures/models/shapes-demo.safetensors. */
  weights?: string;
  /** Default 1. */
  batchSize?: string;
}

/** `node` arguments of one `detect` run. */
export function detectCliArgs(r: DetectCliRun): string[] {
  return [
    path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js'),
    'detect',
    '--weights',
    r.weights ?? path.join(ROOT, 'test', 'fixtures', 'models', 'shapes-demo.safetensors'),
    '--engine',
    'tfjs',
    '--batch-size',
    r.batchSize ?? '1',
    '--workers',
    String(r.workers),
    '--format',
    'ndjson',
    '--out',
    r.out,
    r.dir,
  ];
}

/** The job's own images/s (model loading excluded) from its summary line, or undefined when absent. */
export function detectImagesPerSecond(stderr: string): number | undefined {
  const m = /detect: (\d+) processed.*\(([\d.]+) img\/s\)/.exec(stderr);
  return m ? Number(m[2]) : undefined;
}
