import { resolveWeights, type DownloadProgress } from '@resdet/weights';
import { createProgress, type ProgressReporter } from './progress';

const log = (m: string) => process.stderr.write(m + '\n');

/** A download's progress on stderr: a bar on a terminal, a line every 10 s otherwise (see createProgress). */
export function downloadProgress(label: string): { onProgress: DownloadProgress; stop(): void } {
  let bar: ProgressReporter | undefined;
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  return {
    onProgress(received, total) {
      bar ??= createProgress(label, mb(total ?? received), { unit: 'MB' });
      bar.update(mb(received));
    },
    stop: () => bar?.stop(),
  };
}

/**
 * A `--weights` / `--from` value → a local file: paths as they are, registry names from the cache or
 * downloaded into it (with a progress bar), with the environment's cache, mirror, registry and RESDET_OFFLINE
 * settings.
 * Commands call this before anything heavy loads, so a bad name or an offline miss fails fast.
 */
export async function resolveWeightsFlag(
  value: string,
  opts: { flag?: string; offline?: boolean } = {},
): Promise<string> {
  let progress: ReturnType<typeof downloadProgress> | undefined;
  try {
    return await resolveWeights(value, {
      env: process.env,
      flag: opts.flag ?? '--weights',
      offline: opts.offline,
      log,
      onDownload: (entry) => (progress = downloadProgress(`pull ${entry.name}`)).onProgress,
    });
  } finally {
    progress?.stop();
  }
}

/** The same flags with `weights` resolved to a local file (when given). */
export async function withResolvedWeights<T extends { weights?: string; offline?: boolean }>(
  flags: T,
): Promise<T> {
  return flags.weights
    ? { ...flags, weights: await resolveWeightsFlag(flags.weights, { offline: flags.offline }) }
    : flags;
}
