import * as fs from 'fs';
import * as path from 'path';
import { weightsCacheDir, type WeightsEnv } from './cache-dir';
import { withFileLock } from './download-lock';
import { downloadFile, partialPath, type DownloadProgress } from './download';
import { entryUrl, expectedHashOf, type WeightsEntry } from './registry';
import { verifyFile } from './verify';
import { WeightsError } from './weights-error';

export interface PullOptions {
  /** RESDET_HOME / XDG_CACHE_HOME (cache) and RESDET_WEIGHTS_MIRROR; apps pass `process.env`. */
  env?: WeightsEnv;
  /** Use the cache only: a missing file is an error that says how to get it. RESDET_OFFLINE=1 in `env` too. */
  offline?: boolean;
  /** Re-check the SHA-256 of a file already in the cache (`weights pull` does). */
  reverify?: boolean;
  idleTimeoutMs?: number;
  /** Called when a download starts (e.g. to show a progress bar), with its URL and where it resumes. */
  onDownload?: (entry: WeightsEntry, url: string) => DownloadProgress | undefined;
  log?: (message: string) => void;
}

/** Where a download entry's file lies in the cache (whether or not it is there yet). */
export function cachedFile(entry: WeightsEntry, env: WeightsEnv = {}): string {
  return path.join(weightsCacheDir(env), entry.file);
}

/** Whether the entry can be used without a download: a local file, or a file already in the cache. */
export function isAvailable(entry: WeightsEntry, env: WeightsEnv = {}): boolean {
  return fs.existsSync(entry.path ?? cachedFile(entry, env));
}

/**
 * The local path of an entry's verified file. Local entries are checked against their SHA-256 and used where
 * they lie; download entries come from the cache, or are downloaded into it first (one process at a time per
 * file; verified before they are renamed into place, so the cache only holds verified files).
 */
export async function pullWeights(entry: WeightsEntry, opts: PullOptions = {}): Promise<string> {
  const env = opts.env ?? {};
  const expected = expectedHashOf(entry);
  if (entry.path) {
    if (!fs.existsSync(entry.path)) {
      throw new WeightsError(
        `weights "${entry.name}": local file ${entry.path} is missing (${entry.origin})`,
      );
    }
    await verifyFile(entry.path, expected, `weights "${entry.name}" (${entry.path})`);
    return entry.path;
  }
  const dest = cachedFile(entry, env);
  if (fs.existsSync(dest)) {
    if (opts.reverify) await verifyFile(dest, expected, `cached weights "${entry.name}" (${dest})`);
    return dest;
  }
  if (opts.offline || offlineFromEnv(env)) {
    throw new WeightsError(
      `weights "${entry.name}" are not in the cache (${dest}) and --offline forbids downloading them; ` +
        `run "resdet weights pull ${entry.name}" where the network is reachable (or set RESDET_WEIGHTS_MIRROR), ` +
        `or copy ${entry.file} into ${path.dirname(dest)}`,
    );
  }
  const url = entryUrl(entry, env);
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  await withFileLock(
    `${partialPath(dest)}.lock`,
    async () => {
      // Another process may have finished it while this one waited for the lock.
      if (fs.existsSync(dest)) return;
      opts.log?.(`weights: downloading ${entry.name} from ${url} to ${dest}`);
      await downloadFile(url, dest, {
        expected,
        idleTimeoutMs: opts.idleTimeoutMs,
        onProgress: opts.onDownload?.(entry, url),
        log: opts.log,
      });
    },
    { onWait: (holder) => opts.log?.(`weights: ${holder} is downloading ${entry.file}; waiting for it`) },
  );
  return dest;
}

/** RESDET_OFFLINE=1 (or true/yes): for processes without an `--offline` flag (workers, the API). */
export function offlineFromEnv(env: WeightsEnv): boolean {
  return ['1', 'true', 'yes'].includes((env.RESDET_OFFLINE ?? '').toLowerCase());
}
