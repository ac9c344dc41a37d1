import { SubCommand, CommandRunner, Option } from 'nest-commander';
import { findEntry, loadRegistry, packageRoot, pullWeights, WeightsError } from '@resdet/weights';
import { downloadProgress } from '../common/weights-flag';

const log = (m: string) => process.stderr.write(m + '\n');

/**
 * `weights pull NAME…`: downloads each named file into the cache (resuming a partial one), or re-checks the
 * SHA-256 of one already there; prints each local path on stdout.
 */
@SubCommand({
  name: 'pull',
  arguments: '<names...>',
  description: 'Download registry weights into the cache (resumable, SHA-256 checked); prints their paths',
})
export class WeightsPullCommand extends CommandRunner {
  async run(names: string[], flags: { timeout?: number }): Promise<void> {
    const env = process.env;
    const registry = loadRegistry(env, packageRoot());
    const entries = names.map((n) => findEntry(registry, n));
    for (const entry of entries) {
      let progress: ReturnType<typeof downloadProgress> | undefined;
      try {
        const file = await pullWeights(entry, {
          env,
          reverify: true,
          idleTimeoutMs: flags.timeout,
          log,
          onDownload: () => (progress = downloadProgress(`pull ${entry.name}`)).onProgress,
        });
        progress?.stop();
        log(`weights: ${entry.name} verified`);
        process.stdout.write(file + '\n');
      } catch (e) {
        progress?.stop();
        if (e instanceof WeightsError) throw new Error(`weights pull ${entry.name}: ${e.message}`);
        throw e;
      }
    }
  }

  @Option({
    flags: '--timeout <s>',
    description: 'give up when the server sends nothing for this many seconds (default 30)',
  })
  parseTimeout(v: string): number {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--timeout must be a positive number of seconds, got "${v}"`);
    return n * 1000;
  }
}
