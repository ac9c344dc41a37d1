import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY, REPO_ROOT } from '@resdet/testing';

/** Packages whose loading costs start-up time and memory; a command loads them only when it needs them. */
export const HEAVY_PACKAGES =
  /^(@tensorflow\/.*|sharp|onnxruntime-node|webgpu|@nestjs\/.*|nest-commander|pino|bullmq|ioredis)$/;

/**
 * Runs the built `resdet` with argv, preloading record-packages.js, and returns the process's result with the
 * names of every package it required (sorted), e.g. `['@nestjs/core', 'nest-commander', …]`.
 */
export function runCliRecordingPackages(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): SpawnSyncReturns<string> & { packages: string[]; heavy: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-packages-'));
  const record = path.join(dir, 'packages.json');
  try {
    const r = spawnSync(
      process.execPath,
      ['-r', path.join(__dirname, 'record-packages.js'), CLI_ENTRY, ...args],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...opts.env, RESDET_RECORD_PACKAGES: record },
        timeout: opts.timeoutMs ?? 120_000,
      },
    );
    const packages = JSON.parse(readFileSync(record, 'utf8')) as string[];
    return { ...r, packages, heavy: packages.filter((p) => HEAVY_PACKAGES.test(p)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
