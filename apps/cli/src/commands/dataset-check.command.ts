import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { checkDataset, formatIssue, type CheckReport, type DatasetIssue, type Spread } from '@resdet/data';

interface CheckFlags {
  format?: string;
  split?: string[];
  decode?: boolean;
  json?: boolean;
  strict?: boolean;
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

/** Writes up to 50 issues as `<prefix>: file: field message` lines and a count line per kind. */
function reportIssues(issues: readonly DatasetIssue[], prefix: string, noun: string, after = ''): void {
  const counts = new Map<string, number>();
  for (const p of issues) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
  for (const p of issues.slice(0, 50)) process.stderr.write(`${prefix}: ${formatIssue(p)}\n`);
  if (issues.length > 50) process.stderr.write(`… and ${issues.length - 50} more\n`);
  process.stderr.write(
    `dataset check: ${issues.length} ${noun}(s): ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}${after}\n`,
  );
}

/**
 * `dataset check`: validates a COCO or VOC dataset; exit code 1 when it finds problems. Images without
 * annotations are legal (negatives) and reported as notes, which count as problems only with `--strict`.
 */
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
    const { problems, notes } = report;
    if (notes.length > 0) {
      reportIssues(
        notes,
        'note',
        'note',
        f.strict ? ' (--strict: counted as problems)' : ' (legal; --strict fails on them)',
      );
    }
    if (problems.length > 0) reportIssues(problems, 'problem', 'problem');
    else process.stderr.write('dataset check: no problems\n');
    if (problems.length > 0 || (f.strict && notes.length > 0)) process.exitCode = 1;
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

  @Option({ flags: '--strict', description: 'also fail (exit 1) on notes: images without annotations' })
  parseStrict(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
