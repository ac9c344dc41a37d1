import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  cocoJsonReport,
  cocoPrPlots,
  CocoEvalResult,
  EvalError,
  evaluateCoco,
  evaluateVoc,
  formatCocoCategoryTable,
  formatVocTable,
  writePrCurvePngs,
} from '@resdet/eval';
import { createProgress } from '../common/progress';

/** Flags of `eval`: either `--gt/--dt` (files), or `--model/--dataset` (run a detector over a dataset first). */
interface EvalOptions {
  gt?: string;
  dt?: string;
  json?: string;
  plots?: string;
  model?: string;
  config?: string;
  arch?: string;
  dataset?: string;
  format?: 'coco' | 'voc';
  split: string;
  batchSize: number;
  backend?: string;
  vocMetric: '2007' | '2012';
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
   * The `--model/--dataset` mode: the detector runs over one split of a COCO or VOC tree, then COCO metrics
   * (and VOC AP for VOC trees) are computed. Tensor libraries load only here, so `--gt/--dt` stays light.
   */
  private async evaluateModel(opts: EvalOptions): Promise<CocoEvalResult> {
    if (!opts.model || !opts.dataset) {
      throw new EvalError(
        'eval: --model WEIGHTS and --dataset DIR go together (plus --format coco|voc, --split)',
      );
    }
    const { readCocoDataset, readVocDataset } = await import('@resdet/data');
    const { Detector, predictDataset } = await import('@resdet/inference');
    const { recordsToCocoGt } = await import('@resdet/training');
    const format = opts.format ?? (existsSync(path.join(opts.dataset, 'annotations')) ? 'coco' : 'voc');
    const annFile = path.join(opts.dataset, 'annotations', `instances_${opts.split}.json`);
    const ds =
      format === 'coco'
        ? await readCocoDataset({ annotationFile: annFile })
        : await readVocDataset({ root: opts.dataset, split: opts.split });
    const detector = await Detector.load({
      weights: opts.model,
      config: opts.config,
      arch: opts.arch,
      backend: opts.backend,
      env: process.env,
      log: (m) => process.stderr.write(m + '\n'),
    });
    try {
      const progress = createProgress('eval', ds.records.length);
      const dt = await predictDataset(detector, ds.records, ds.categories, {
        batchSize: opts.batchSize,
        onProgress: (done) => progress.update(done),
      });
      progress.stop();
      const gt = format === 'coco' ? readJson(annFile, 'ground truth') : recordsToCocoGt(ds);
      if (format === 'voc') {
        const names = new Map(ds.categories.map((c) => [c.id, c.name]));
        const gts = ds.records.flatMap((r) =>
          Array.from(r.labels, (l, i) => ({
            imageId: r.imageId,
            label: ds.categories[l - 1].name,
            box: Array.from(r.boxes.subarray(4 * i, 4 * i + 4)),
            difficult: r.difficult[i] === 1,
          })),
        );
        const dets = dt.map((d) => ({
          imageId: d.image_id,
          label: names.get(d.category_id)!,
          box: [d.bbox[0], d.bbox[1], d.bbox[0] + d.bbox[2], d.bbox[1] + d.bbox[3]],
          score: d.score,
        }));
        // resdet's boxes are continuous (VOC's 1-based inclusive pixels were converted on read): no +1.
        const voc = evaluateVoc(gts, dets, {
          use07Metric: opts.vocMetric === '2007',
          pixelOffset: 0,
          classes: [...names.values()],
        });
        process.stdout.write(
          `VOC${opts.vocMetric} AP@0.5 per class:\n${formatVocTable(voc)}\nmAP = ${voc.mAP.toFixed(4)}\n\n`,
        );
      }
      return evaluateCoco(gt, dt, {
        gtSource: format === 'coco' ? annFile : opts.dataset,
        dtSource: opts.model,
      });
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
    flags: '--config <file>',
    description: 'model config JSON for --model (default: from the checkpoint)',
  })
  parseConfig(v: string): string {
    return v;
  }

  @Option({ flags: '--arch <name>', description: 'architecture for --model when the weights do not say' })
  parseArch(v: string): string {
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

  @Option({ flags: '--batch-size <n>', description: 'images per forward pass', defaultValue: 2 })
  parseBatchSize(v: string): number {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--batch-size must be a positive integer, got "${v}"`);
    return n;
  }

  @Option({
    flags: '--backend <name>',
    description: 'force a tensor backend (wasm, cpu, node, node-gpu, webgpu)',
  })
  parseBackend(v: string): string {
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

  @Option({
    flags: '--plots <dir>',
    description: 'write precision-recall curves as PNG files into this folder',
  })
  parsePlots(v: string): string {
    return v;
  }
}
