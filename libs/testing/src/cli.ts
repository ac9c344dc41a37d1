import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** The built `resdet` entry (package.json "bin"); jest's global setup builds dist/ when it is stale. */
export const CLI_ENTRY = path.join(REPO_ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

/** Runs `npm run cli -- …` the way a user does (without npm's own start-up), from the repo root. */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 120_000,
  });
}

/** `demo`'s summary line on stdout (`AP50 <x>  AP <y>  —  <seconds> s in all …`, a contract), or undefined. */
export function parseDemoSummary(stdout: string): { ap50: number; ap: number; seconds: number } | undefined {
  const m = /AP50 ([\d.]+)\s+AP ([\d.]+)\s+—\s+(\d+) s in all/.exec(stdout);
  return m ? { ap50: Number(m[1]), ap: Number(m[2]), seconds: Number(m[3]) } : undefined;
}
