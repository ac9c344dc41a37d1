import { readFileSync, writeFileSync } from 'fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  cocoJsonReport,
  cocoPrPlots,
  CocoEvalResult,
  EvalError,
  evaluateCoco,
  formatCocoCategoryTable,
  writePrCurvePngs,
} from '@resdet/eval';

/** Flags of `eval`. `--model/--dataset` (run a detector over a dataset first) will join `--gt/--dt` here. */
interface EvalOptions {
  gt?: string;
  dt?: string;
  json?: string;
  plots?: string;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EvalError(`${what} ${file}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EvalError(`${what} ${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * `eval --gt GT.json --dt DT.json [--json OUT] [--plots DIR]`: COCO bbox metrics identical to pycocotools.
 * Prints the 12 summary lines and a per-category table on stdout; warnings go to stderr. Imports no tensor
 * library, so start-up stays fast.
 */
@Command({
  name: 'eval',
  description: 'COCO bbox evaluation of a results file against ground truth (pycocotools-identical)',
})
export class EvalCommand extends CommandRunner {
  async run(_args: string[], opts: EvalOptions): Promise<void> {
    try {
      const result = this.evaluateFiles(opts);
      await this.report(result, opts);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 2;
    }
  }

  /** The `--gt/--dt` mode: both files are read and evaluated as they are. */
  private evaluateFiles(opts: EvalOptions): CocoEvalResult {
    if (!opts.gt || !opts.dt) {
      throw new EvalError(
        'eval: --gt GT.json and --dt DT.json are both required (COCO ground truth and COCO results)',
      );
    }
    const gt = readJson(opts.gt, 'ground truth');
    const dt = readJson(opts.dt, 'results');
    return evaluateCoco(gt, dt, { gtSource: opts.gt, dtSource: opts.dt });
  }

  private async report(r: CocoEvalResult, opts: EvalOptions): Promise<void> {
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(r.lines.join('\n') + '\n\n' + formatCocoCategoryTable(r.perCategory) + '\n');
    if (opts.json) writeFileSync(opts.json, JSON.stringify(cocoJsonReport(r.stats, r.perCategory)) + '\n');
    if (opts.plots) {
      const files = await writePrCurvePngs(cocoPrPlots(r, r.perCategory), opts.plots);
      process.stderr.write(`wrote ${files.length} PR-curve PNGs to ${opts.plots}\n`);
    }
  }

  @Option({ flags: '--gt <file>', description: 'COCO ground-truth JSON (images, annotations, categories)' })
  parseGt(v: string): string {
    return v;
  }

  @Option({
    flags: '--dt <file>',
    description: 'COCO results JSON: [{image_id, category_id, bbox: [x,y,w,h], score}]',
  })
  parseDt(v: string): string {
    return v;
  }

  @Option({ flags: '--json <file>', description: 'write {"stats": [12], "per_category": {"<catId>": AP}}' })
  parseJson(v: string): string {
    return v;
  }

  @Option({
    flags: '--plots <dir>',
    description: 'write precision-recall curves as PNG files into this folder',
  })
  parsePlots(v: string): string {
    return v;
  }
}
