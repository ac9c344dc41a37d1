import { readFileSync, writeFileSync } from 'fs';
import { Command, Option } from 'nest-commander';
import {
  cocoJsonReport,
  cocoPrPlots,
  CocoEvalResult,
  EvalError,
  evaluateCoco,
  formatCocoCategoryTable,
  formatVocTable,
  writePrCurvePngs,
} from '@resdet/eval';
import { createProgress } from '../common/progress';
import { BatchedModelCommand, openDetectorFromFlags, type ModelFlags } from '../common/model-options';

/**
 * Flags of `eval`: either `--gt/--dt` (files), or `--model/--dataset` (run a detector over a dataset first; the
 * model flags are `detect`'s, and `--model` is `--weights`).
 */
interface EvalOptions extends ModelFlags {
  gt?: string;
  dt?: string;
  json?: string;
  plots?: string;
  model?: string;
  dataset?: string;
  format?: 'coco' | 'voc';
  split: string;
  batchSize?: number;
  workers?: number;
  vocMetric: '2007' | '2012';
  strict?: boolean;
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
export class EvalCommand extends BatchedModelCommand {
  async run(_args: string[], opts: EvalOptions): Promise<void> {
    try {
      const result = opts.model || opts.dataset ? await this.evaluateModel(opts) : this.evaluateFiles(opts);
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

  /**
   * The `--model/--dataset` mode: the detector (any engine) runs over one split of a COCO or VOC tree, then COCO
   * metrics (and VOC AP for VOC trees) are computed. Tensor libraries load only here, so `--gt/--dt` stays light.
   */
  private async evaluateModel(opts: EvalOptions): Promise<CocoEvalResult> {
    const weights = opts.model ?? opts.weights;
    if (!weights || !opts.dataset) {
      throw new EvalError(
        'eval: --model WEIGHTS and --dataset DIR go together (plus --format coco|voc, --split)',
      );
    }
    const { detectDatasetFormat, evaluateDetector, readDetectionSplit } = await import('@resdet/inference');
    const dataset = { root: opts.dataset, format: opts.format ?? detectDatasetFormat(opts.dataset) };
    const data = await readDetectionSplit(dataset, opts.split);
    const detector = await openDetectorFromFlags(
      { ...opts, weights },
      { workers: opts.workers, images: data.records.length },
    );
    try {
      let progress: ReturnType<typeof createProgress> | undefined;
      let skipped = 0;
      const r = await evaluateDetector(detector, {
        dataset,
        data,
        split: opts.split,
        batchSize: opts.batchSize ?? 2,
        vocMetric: opts.vocMetric,
        dtSource: weights,
        onProgress: (done, total) => (progress ??= createProgress('eval', total)).update(done),
        onSkip: (rec, reason) => {
          skipped++;
          process.stderr.write(`skipped ${rec.fileName}: ${reason}\n`);
        },
      });
      progress?.stop();
      if (skipped) {
        // A skipped image counts as one without detections, so its ground truth is all missed.
        process.stderr.write(`eval: ${skipped} image(s) skipped (scored as without detections)\n`);
        if (opts.strict) throw new EvalError(`--strict: ${skipped} image(s) could not be processed`);
      }
      if (r.voc) {
        process.stdout.write(
          `VOC${opts.vocMetric} AP@0.5 per class:\n${formatVocTable(r.voc)}\nmAP = ${r.voc.mAP.toFixed(4)}\n\n`,
        );
      }
      return r.coco;
    } finally {
      detector.dispose();
    }
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

  @Option({
    flags: '--model <weights>',
    description: 'run this detector (resdet checkpoint, .pth, .safetensors) over --dataset',
  })
  parseModel(v: string): string {
    return v;
  }

  @Option({
    flags: '--dataset <dir>',
    description: 'COCO-2017 tree (annotations/instances_<split>.json) or VOC2007 tree',
  })
  parseDataset(v: string): string {
    return v;
  }

  @Option({ flags: '--format <fmt>', description: 'coco or voc (default: detected from the tree)' })
  parseFormat(v: string): 'coco' | 'voc' {
    if (v !== 'coco' && v !== 'voc') throw new Error(`--format must be coco or voc, got "${v}"`);
    return v;
  }

  @Option({ flags: '--split <name>', description: 'dataset split to evaluate', defaultValue: 'val' })
  parseSplit(v: string): string {
    return v;
  }

  @Option({
    flags: '--voc-metric <year>',
    description: 'VOC AP flavour for VOC trees: 2007 (11-point) or 2012 (area)',
    defaultValue: '2012',
  })
  parseVocMetric(v: string): '2007' | '2012' {
    if (v !== '2007' && v !== '2012') throw new Error(`--voc-metric must be 2007 or 2012, got "${v}"`);
    return v;
  }

  @Option({ flags: '--json <file>', description: 'write {"stats": [12], "per_category": {"<catId>": AP}}' })
  parseJson(v: string): string {
    return v;
  }

  @Option({ flags: '--strict', description: 'with --model: exit non-zero when any image was skipped' })
  parseStrict(): boolean {
    return true;
  }

  @Option({
    flags: '--plots <dir>',
    description: 'write precision-recall curves as PNG files into this folder',
  })
  parsePlots(v: string): string {
    return v;
  }
}
