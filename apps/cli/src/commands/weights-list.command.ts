import { Option, SubCommand, CommandRunner } from 'nest-commander';
import {
  cachedFile,
  expectedHashOf,
  isAvailable,
  loadRegistry,
  packageRoot,
  weightsCacheDir,
  type WeightsEntry,
} from '@resdet/weights';

/** `weights list [--json]`: every registry name with what it is, where it comes from and whether it is here. */
@SubCommand({ name: 'list', description: 'List the weights registry (built-in and RESDET_REGISTRY entries)' })
export class WeightsListCommand extends CommandRunner {
  async run(_args: string[], flags: { json?: boolean }): Promise<void> {
    const env = process.env;
    const entries = loadRegistry(env, packageRoot());
    const here = (e: WeightsEntry) =>
      e.path ? (isAvailable(e, env) ? 'local' : 'missing') : isAvailable(e, env) ? 'yes' : 'no';
    if (flags.json) {
      const rows = entries.map((e) => ({
        name: e.name,
        arch: e.arch ?? null,
        numClasses: e.numClasses ?? null,
        sizeMiB: e.sizeMiB ?? null,
        source: e.source,
        license: e.license,
        url: e.url ?? null,
        file: e.path ?? cachedFile(e, env),
        ...expectedHashOf(e),
        cached: here(e),
        origin: e.origin,
      }));
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    const table = [
      ['NAME', 'ARCH', 'CLASSES', 'SIZE', 'SOURCE', 'LICENSE', 'CACHED'],
      ...entries.map((e) => [
        e.name,
        e.arch ?? '?',
        e.numClasses !== undefined ? String(e.numClasses) : '?',
        e.sizeMiB !== undefined ? `${e.sizeMiB.toFixed(1)} MiB` : '?',
        e.source,
        e.license,
        here(e),
      ]),
    ];
    const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
    const lines = table.map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    );
    process.stdout.write(lines.join('\n') + '\n');
    process.stderr.write(
      `cache: ${weightsCacheDir(env)} (RESDET_HOME moves it); get one with: resdet weights pull NAME\n` +
        'torchvision weights: BSD-3-Clause code license; they were trained on ImageNet / COCO, check those terms for your use\n',
    );
  }

  @Option({ flags: '--json', description: 'print the registry as JSON' })
  parseJson(): boolean {
    return true;
  }
}
