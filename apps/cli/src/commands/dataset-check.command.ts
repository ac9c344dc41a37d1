import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { checkDataset, formatIssue, type CheckReport, type Spread } from '@resdet/data';

interface CheckFlags {
  format?: string;
  split?: string[];
  decode?: boolean;
  json?: boolean;
}

const fmt = (s: Spread) => `${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}`;

/** Human-readable per-split, per-class counts and box-size statistics. */
export function formatCheckReport(r: CheckReport): string {
  const lines: string[] = [];
  for (const s of r.splits) {
    lines.push(`${s.split}: ${s.images} images, ${s.boxes} boxes (${s.source})`);
    const w = Math.max(5, ...s.classes.map((c) => c.name.length));
    lines.push(
      `  ${'label'.padStart(5)} ${'id'.padStart(4)} ${'class'.padEnd(w)} ${'images'.padStart(7)} ${'boxes'.padStart(7)} ${'crowd'.padStart(6)} ${'difficult'.padStart(9)}`,
    );
    for (const c of s.classes) {
      lines.push(
        `  ${String(c.label).padStart(5)} ${String(c.id).padStart(4)} ${c.name.padEnd(w)} ${String(c.images).padStart(7)} ${String(c.boxes).padStart(7)} ${String(c.crowd).padStart(6)} ${String(c.difficult).padStart(9)}`,
      );
    }
    lines.push(`  box width  min/median/max: ${fmt(s.boxWidth)} px`);
    lines.push(`  box height min/median/max: ${fmt(s.boxHeight)} px`);
    lines.push(`  sqrt(area) min/median/max: ${fmt(s.boxSide)} px`);
    lines.push(
      `  COCO sizes: small ${s.sizeBuckets.small}, medium ${s.sizeBuckets.medium}, large ${s.sizeBuckets.large}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** `dataset check`: validates a COCO or VOC dataset; exit code 1 when it finds problems. */
@SubCommand({
  name: 'check',
  arguments: '<path>',
  description: 'Validate a COCO or VOC dataset and print class counts and box sizes',
})
export class DatasetCheckCommand extends CommandRunner {
  async run(args: string[], f: CheckFlags): Promise<void> {
    try {
      await this.check(args[0], f);
    } catch (e) {
      process.stderr.write(`error: dataset check: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  }

  private async check(path: string, f: CheckFlags): Promise<void> {
    if (f.format !== 'coco' && f.format !== 'voc')
      throw new Error(`--format must be coco or voc, got "${f.format ?? ''}"`);
    const report = await checkDataset({ format: f.format, path, splits: f.split, decode: f.decode });
    process.stdout.write(f.json ? JSON.stringify(report, null, 1) + '\n' : formatCheckReport(report));
    if (report.problems.length > 0) {
      const counts = new Map<string, number>();
      for (const p of report.problems) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
      for (const p of report.problems.slice(0, 50)) process.stderr.write(`problem: ${formatIssue(p)}\n`);
      if (report.problems.length > 50) process.stderr.write(`… and ${report.problems.length - 50} more\n`);
      process.stderr.write(
        `dataset check: ${report.problems.length} problem(s): ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}\n`,
      );
      process.exitCode = 1;
    } else {
      process.stderr.write('dataset check: no problems\n');
    }
  }

  @Option({ flags: '--format <coco|voc>', description: 'dataset layout', required: true })
  parseFormat(v: string): string {
    return v;
  }

  @Option({ flags: '--split <name>', description: 'VOC split to check (repeatable; default all)' })
  parseSplit(v: string, prev: string[] = []): string[] {
    return [...prev, v];
  }

  @Option({ flags: '--no-decode', description: 'only check that image files exist' })
  parseNoDecode(): boolean {
    return false;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
