/**
 * A Faster R-CNN training run assembled from a config file: dataset (COCO or VOC tree) → DetectionLoader →
 * resumable batch stream, model from @resdet/detection (optionally with an ImageNet ResNet backbone),
 * torch-exact SGD with warm-up + multi-step LR, periodic COCO evaluation on the val split, checkpoints in a
 * folder (atomic, keep-last-K, best by a metric; each one loadable by `detect`), loss curve and metrics JSON.
 * The `train` command, the `demo` and `bench/train-shapes` share it; they differ only in logging.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, StateDict } from '@resdet/nn';
import { backendCaps } from '@resdet/runtime';
import {
  BalancedPositiveNegativeSampler,
  buildFasterRcnn,
  parseDetectorConfig,
  type FasterRcnnConfig,
  rgbToTensor,
  type GeneralizedRCNN,
  type TrainingStepPlan,
} from '@resdet/detection';
import {
  DetectionLoader,
  mapLimit,
  readCocoDataset,
  readImage,
  readVocDataset,
  type AugmentOptions,
  type DetectionDataset,
  type DetectionRecord,
  type LoaderBatch,
} from '@resdet/data';
import {
  COCO_STAT_NAMES,
  evaluateCoco,
  type CocoDataset,
  type CocoEvalResult,
  type CocoResult,
} from '@resdet/eval';
import { loadWeights, saveCheckpoint, writeFileAtomic } from '@resdet/checkpoint';
import { DirectoryCheckpointStore } from './checkpoint-store';
import { EpochBatchStream } from './epoch-batch-stream';
import { TrainingConfigError } from './errors';
import { writeLossCurvePng } from './loss-curve';
import { registerFastWasmBackprop } from './wasm-fast-backprop';
import { Trainer, TrainerEvent, TrainResult } from './trainer';
import { trainableModule } from './trainer-ports';
import { resolveTrainingConfig, scheduleFromConfig, sgdFromConfig, TrainingConfig } from './training.config';

/** A dataset on disk: a COCO-2017 tree (`annotations/instances_{train,val}.json`) or a VOC2007 tree. */
export interface DatasetLocation {
  root: string;
  format: 'coco' | 'voc';
  /** Split names; default `train` and `val`. */
  trainSplit?: string;
  valSplit?: string;
}

/** The `data` section of a config file. */
export interface DataSettings {
  /** Training augmentation (default: horizontal flip with probability 0.5). */
  augment?: AugmentOptions;
  /** Evaluate on at most this many val images (default all). */
  maxValImages?: number;
}

export interface DetectionTrainingOptions {
  /** The parsed config JSON (`{arch, model, classes, train, data}`) and where it came from (for messages). */
  config: unknown;
  configSource: string;
  dataset: DatasetLocation;
  /** Output folder: `checkpoints/`, `model.safetensors` + `model.json`, `loss-curve.png`, `metrics.json`. */
  outDir: string;
  /** Backbone init: an ImageNet torchvision ResNet (`.pth`/`.safetensors`), or a detector checkpoint. */
  weights?: string;
  /** Continue from the latest checkpoint in `outDir/checkpoints` (error when there is none). */
  resume?: boolean;
  /** Overrides of the config's `train` section (CLI flags). */
  train?: Partial<TrainingConfig>;
  signal?: AbortSignal;
  onEvent?: (e: TrainerEvent) => void;
  log?: (msg: string) => void;
}

export interface DetectionTrainingResult extends TrainResult {
  outDir: string;
  /** Final model (`model.safetensors` + `model.json`), written when the run completed. */
  modelFile?: string;
  /** Written when the run completed: the final COCO evaluation. */
  metricsFile?: string;
  lossCurveFile?: string;
  finalEval?: CocoEvalResult;
  classes: string[];
}

/** `metrics.json`: pycocotools' 12 numbers (named and as a list) and per-category AP/AP50/AP75. */
export interface MetricsReport {
  iteration: number;
  stats: number[];
  named: Record<string, number>;
  per_category: Record<string, { name: string; AP: number; AP50: number; AP75: number }>;
  lines: string[];
}

/** The `train` section of the config merged with flag overrides (undefined fields dropped). */
function trainSection(config: unknown): Partial<TrainingConfig> {
  const t = (config as { train?: unknown }).train;
  if (t === undefined) return {};
  if (!t || typeof t !== 'object' || Array.isArray(t))
    throw new TrainingConfigError('train must be an object');
  return t as Partial<TrainingConfig>;
}

function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Reads the train and val splits of a dataset tree. */
export async function readDetectionSplits(
  loc: DatasetLocation,
): Promise<{ train: DetectionDataset; val: DetectionDataset; valGt: CocoDataset }> {
  const trainSplit = loc.trainSplit ?? 'train';
  const valSplit = loc.valSplit ?? 'val';
  if (loc.format === 'coco') {
    const ann = (s: string) => path.join(loc.root, 'annotations', `instances_${s}.json`);
    const train = await readCocoDataset({ annotationFile: ann(trainSplit), skipEmpty: true });
    const val = await readCocoDataset({ annotationFile: ann(valSplit) });
    const valGt = JSON.parse(fs.readFileSync(ann(valSplit), 'utf8')) as CocoDataset;
    return { train, val, valGt };
  }
  const train = await readVocDataset({ root: loc.root, split: trainSplit });
  const val = await readVocDataset({
    root: loc.root,
    split: valSplit,
    classes: train.categories.map((c) => c.name),
  });
  return { train, val, valGt: recordsToCocoGt(val) };
}

/** COCO ground truth from records (VOC): `area` = box area, difficult objects left out, no crowd regions. */
export function recordsToCocoGt(ds: DetectionDataset): CocoDataset {
  const annotations: CocoDataset['annotations'] = [];
  for (const r of ds.records) {
    for (let i = 0; i < r.labels.length; i++) {
      if (r.difficult[i]) continue;
      const [x1, y1, x2, y2] = r.boxes.subarray(4 * i, 4 * i + 4);
      annotations.push({
        id: annotations.length + 1,
        image_id: r.imageId,
        category_id: ds.categories[r.labels[i] - 1].id,
        bbox: [x1, y1, x2 - x1, y2 - y1],
        area: (x2 - x1) * (y2 - y1),
        iscrowd: r.iscrowd[i],
      });
    }
  }
  return {
    images: ds.records.map((r) => ({ id: r.imageId, width: r.width, height: r.height, file_name: r.name })),
    annotations,
    categories: ds.categories.map((c) => ({ id: c.id, name: c.name })),
  };
}

/**
 * Maps an ImageNet ResNet state dict (torchvision `resnet*` keys: `conv1.weight`, `layer1.0.bn1.running_mean`,
 * …) onto a detector's body (`backbone.body.conv1.weight`, …), dropping the classifier (`fc.*`). Keys already
 * starting with `backbone.`/`rpn.`/`roi_heads.` (a detector checkpoint) are kept as they are.
 */
export function backboneInitStateDict(sd: StateDict): { sd: StateDict; mapped: number; dropped: string[] } {
  const out: StateDict = new Map();
  const dropped: string[] = [];
  let mapped = 0;
  for (const [k, v] of sd) {
    if (/^(backbone|rpn|roi_heads)\./.test(k)) {
      out.set(k, v);
    } else if (/^(conv1|bn1|layer[1-4])\./.test(k)) {
      out.set(`backbone.body.${k}`, v);
      mapped++;
    } else {
      dropped.push(k);
    }
  }
  return { sd: out, mapped, dropped };
}

/** Detections of a batch of records as COCO results (category ids of the dataset, xywh in original pixels). */
export async function predictCocoResults(
  model: GeneralizedRCNN,
  records: readonly DetectionRecord[],
  categoryIds: readonly number[],
  batchSize = 4,
): Promise<CocoResult[]> {
  const results: CocoResult[] = [];
  for (let s = 0; s < records.length; s += batchSize) {
    const chunk = records.slice(s, s + batchSize);
    const images = await mapLimit(chunk, 4, (r) => readImage(r.fileName));
    const tensors = images.map(rgbToTensor);
    try {
      const dets = await model.predict(tensors);
      dets.forEach((d, i) => {
        for (let j = 0; j < d.scores.length; j++) {
          const [x1, y1, x2, y2] = d.boxes.subarray(4 * j, 4 * j + 4);
          results.push({
            image_id: chunk[i].imageId,
            category_id: categoryIds[d.labels[j] - 1] ?? d.labels[j],
            bbox: [x1, y1, x2 - x1, y2 - y1],
            score: d.scores[j],
          });
        }
      });
    } finally {
      tf.dispose(tensors);
    }
    // Let signal handlers and timers run between batches.
    await new Promise((r) => setImmediate(r));
  }
  return results;
}

/** A loader batch, plus phase 1 of a two-phase training step where the backend needs one. */
type PlannedBatch = LoaderBatch & { plan?: TrainingStepPlan };

async function planTrainingStep(
  model: GeneralizedRCNN,
  b: PlannedBatch,
): Promise<{ batch: PlannedBatch; dispose(): void }> {
  const images = b.images.map(rgbToTensor);
  try {
    const targets = b.targets.map((t) => ({ boxes: t.boxes, labels: t.labels }));
    const plan = await model.prepareTrainingStep(images, targets);
    return { batch: { ...b, plan }, dispose: () => plan.images.dispose() };
  } finally {
    tf.dispose(images);
  }
}

/** COCO stats by name (`AP`, `AP50`, …). */
export function namedStats(stats: readonly number[]): Record<string, number> {
  return Object.fromEntries(COCO_STAT_NAMES.map((n, i) => [n, stats[i]]));
}

export function metricsReport(r: CocoEvalResult, iteration: number): MetricsReport {
  const per: MetricsReport['per_category'] = {};
  for (const c of r.perCategory)
    per[String(c.catId)] = { name: c.name, AP: c.ap, AP50: c.ap50, AP75: c.ap75 };
  return {
    iteration,
    stats: [...r.stats],
    named: namedStats(r.stats),
    per_category: per,
    lines: [...r.lines],
  };
}

/**
 * Builds and runs a detector training (see the file comment). Resolves when the schedule completes or the
 * signal aborts it (a checkpoint is written either way); throws `TrainingDivergedError` on a NaN/Inf loss.
 *
 * @example
 * const r = await runDetectionTraining({ config: json, configSource: 'configs/shapes_demo.json',
 *   dataset: { root: 'data/shapes', format: 'coco' }, outDir: 'runs/a' });
 */
export async function runDetectionTraining(opts: DetectionTrainingOptions): Promise<DetectionTrainingResult> {
  const log = opts.log ?? (() => undefined);
  if (tf.getBackend() === 'wasm') registerFastWasmBackprop();
  const src = opts.configSource;
  const parsed = parseDetectorConfig(opts.config, src);
  const dataSettings = ((opts.config as { data?: DataSettings }).data ?? {}) as DataSettings;
  const { train, val, valGt } = await readDetectionSplits(opts.dataset);
  const numClasses = train.categories.length + 1;
  if (numClasses !== parsed.config.numClasses) {
    throw new TrainingConfigError(
      `${src}: model.numClasses is ${parsed.config.numClasses} but the dataset ${opts.dataset.root} has ${train.categories.length} classes + background`,
    );
  }
  const classes = ['__background__', ...train.categories.map((c) => c.name)];
  const categoryIds = train.categories.map((c) => c.id);
  const trainOverrides = { ...trainSection(opts.config), ...defined(opts.train) };
  const batchSize = trainOverrides.batchSize ?? 2;
  const loader = new DetectionLoader(train.records, {
    batchSize,
    seed: trainOverrides.seed ?? 0,
    augment: dataSettings.augment ?? { hflipProb: 0.5 },
  });
  const cfg = resolveTrainingConfig(trainOverrides, {
    source: src,
    iterationsPerEpoch: loader.batchesPerEpoch,
  });
  const modelConfig: FasterRcnnConfig = { ...parsed.config, seed: cfg.seed };
  const samplerRng = { rpnSampler: new Rng(cfg.seed).fork(105), boxSampler: new Rng(cfg.seed).fork(107) };
  const model = buildFasterRcnn(modelConfig, {
    rpnSampler: new BalancedPositiveNegativeSampler(
      modelConfig.rpnBatchSizePerImage,
      modelConfig.rpnPositiveFraction,
      samplerRng.rpnSampler,
    ),
    boxSampler: new BalancedPositiveNegativeSampler(
      modelConfig.boxBatchSizePerImage,
      modelConfig.boxPositiveFraction,
      samplerRng.boxSampler,
    ),
  });
  try {
    if (opts.weights) {
      const w = loadWeights(opts.weights);
      const { sd, mapped, dropped } = backboneInitStateDict(w.stateDict);
      const report = model.loadStateDict(sd, { strict: false });
      log(
        `initialised from ${opts.weights}: ${sd.size - report.unexpected.length} tensors loaded (${mapped} backbone keys mapped, ${dropped.length} dropped: ${dropped.slice(0, 4).join(', ')}${dropped.length > 4 ? ', …' : ''})`,
      );
      if (report.unexpected.length) {
        throw new TrainingConfigError(
          `${opts.weights}: ${report.unexpected.length} tensor(s) have no place in the model, e.g. ${report.unexpected.slice(0, 3).join(', ')}`,
        );
      }
    }
    const sidecar = {
      format: 'resdet-checkpoint',
      version: 1,
      arch: parsed.arch,
      config: modelConfig,
      classes,
      numClasses,
    };
    const store = new DirectoryCheckpointStore({
      dir: path.join(opts.outDir, 'checkpoints'),
      keepLast: cfg.keepLast,
      sidecar,
    });
    const data = new EpochBatchStream<LoaderBatch>({
      openEpoch: (e) => loader.iterate({ startEpoch: e })[Symbol.asyncIterator](),
      batchesPerEpoch: loader.batchesPerEpoch,
      batchSize: (b) => b.images.length,
      release: () => undefined,
    });
    const valRecords = dataSettings.maxValImages
      ? val.records.slice(0, dataSettings.maxValImages)
      : val.records;
    const valGtUsed: CocoDataset = dataSettings.maxValImages
      ? restrictGt(valGt, new Set(valRecords.map((r) => r.imageId)))
      : valGt;
    let lastEval: { iteration: number; result: CocoEvalResult } | undefined;
    const evaluate = async ({ iteration }: { iteration: number }) => {
      model.eval();
      const dets = await predictCocoResults(model, valRecords, categoryIds);
      const result = evaluateCoco(valGtUsed, dets, { gtSource: 'val', dtSource: `iteration ${iteration}` });
      lastEval = { iteration, result };
      return namedStats(result.stats);
    };
    const params = model.trainableParameters();
    const trainer = new Trainer<PlannedBatch>({
      model: trainableModule(
        model,
        (m, b: PlannedBatch) => {
          if (b.plan) return m.computeLossesFromPlan(b.plan) as unknown as Record<string, tf.Scalar>;
          const images = b.images.map(rgbToTensor);
          const targets = b.targets.map((t) => ({ boxes: t.boxes, labels: t.labels }));
          return m.computeLosses(images, targets) as unknown as Record<string, tf.Scalar>;
        },
        // Backends without synchronous reads (webgpu) make the host-side decisions (proposals, matching,
        // sampling) before the tape, then the loss runs on them. The others keep the one-pass step.
        backendCaps().syncReads ? undefined : (m, b) => planTrainingStep(m, b),
      ),
      data,
      optimizer: sgdFromConfig(params, cfg),
      lr: scheduleFromConfig(cfg),
      maxIterations: cfg.maxIterations,
      clipGradNorm: cfg.clipGradNorm ?? undefined,
      checkpoint: { store, every: cfg.checkpointEvery },
      evaluation: {
        every: cfg.evalEvery > 0 ? cfg.evalEvery : cfg.maxIterations + 1,
        evaluate,
        best: { metric: cfg.bestMetric, mode: 'max' },
      },
      rngs: samplerRng,
      signal: opts.signal,
      onEvent: opts.onEvent,
      historyEvery: cfg.historyEvery,
    });
    if (opts.resume) {
      const found = await trainer.resume();
      if (!found) throw new TrainingConfigError(`--resume: no checkpoint in ${store.dir}`);
    }
    log(
      `training ${parsed.arch} on ${train.records.length} images (${val.records.length} val), batch ${cfg.batchSize}, ` +
        `${cfg.maxIterations} iterations from ${trainer.iteration}, lr ${cfg.baseLr} warm-up ${cfg.warmupIters} milestones [${cfg.milestones}]`,
    );
    const result = await trainer.run();
    const out: DetectionTrainingResult = { ...result, outDir: opts.outDir, classes };
    fs.mkdirSync(opts.outDir, { recursive: true });
    if (result.history.length) {
      out.lossCurveFile = await writeLossCurvePng(result.history, path.join(opts.outDir, 'loss-curve.png'));
    }
    if (result.reason === 'completed') {
      const base = path.join(opts.outDir, 'model');
      saveCheckpoint(base, {
        model: model.stateDict(),
        meta: {
          ...sidecar,
          config: { ...modelConfig },
          format: 'resdet-checkpoint',
          iteration: result.iteration,
          metrics: lastEval ? namedStats(lastEval.result.stats) : undefined,
        },
      });
      out.modelFile = `${base}.safetensors`;
      if (lastEval && lastEval.iteration === result.iteration) {
        out.finalEval = lastEval.result;
        out.metricsFile = path.join(opts.outDir, 'metrics.json');
        writeFileAtomic(
          out.metricsFile,
          JSON.stringify(metricsReport(lastEval.result, lastEval.iteration), null, 1) + '\n',
        );
      }
    }
    return out;
  } finally {
    model.dispose();
  }
}

function restrictGt(gt: CocoDataset, ids: Set<number>): CocoDataset {
  return {
    ...gt,
    images: gt.images.filter((im) => ids.has(im.id)),
    annotations: gt.annotations.filter((a) => ids.has(a.image_id)),
  };
}
