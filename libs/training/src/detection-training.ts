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
import { parseDetectorConfig, type FasterRcnnConfig, type GeneralizedRCNN } from '@resdet/detection';
import {
  DetectionLoader,
  dropMissingImages,
  type AugmentOptions,
  type DatasetIssue,
  type LoaderBatch,
} from '@resdet/data';
import { evaluateCoco, type CocoDataset, type CocoEvalResult } from '@resdet/eval';
import { loadWeights, saveCheckpoint, writeFileAtomic, type LoadedWeights } from '@resdet/checkpoint';
import {
  Detector,
  detectorWorkersBuilt,
  openDetector,
  predictDataset,
  readDetectionSplits,
  type DatasetLocation,
} from '@resdet/inference';
import { backboneInitStateDict } from './backbone-init';
import { describeDetectorInit, initFromDetector, sourceClassNames } from './detector-init';
import { DirectoryCheckpointStore } from './checkpoint-store';
import { DataParallelGradients, dataParallelWorkers } from './data-parallel';
import { detectorTrainable, type PlannedBatch } from './detector-training-step';
import { EpochBatchStream } from './epoch-batch-stream';
import { TrainingConfigError } from './errors';
import { writeLossCurvePng } from './loss-curve';
import { metricsReport, namedStats } from './metrics-report';
import { registerFastWasmBackprop } from './wasm-fast-backprop';
import { Trainer, TrainerEvent, TrainResult } from './trainer';
import { buildTrainingDetector } from './training-detector';
import { resolveTrainingConfig, scheduleFromConfig, sgdFromConfig, TrainingConfig } from './training.config';
import type { Sgd } from './sgd';

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
  /**
   * Fine-tuning: start from this full detector (torchvision `.pth`, `.safetensors` or resdet checkpoint). The
   * model gets the dataset's classes; predictor rows are carried by class name (see `initFromDetector`).
   * Applies to a fresh run only: `resume` restores the checkpoint's model instead.
   */
  from?: string;
  /** The `from` model's class names, one per line, background first (when it carries none of its own). */
  fromClasses?: string;
  /** Continue from the latest checkpoint in `outDir/checkpoints` (error when there is none). */
  resume?: boolean;
  /** Overrides of the config's `train` section (CLI flags). */
  train?: Partial<TrainingConfig>;
  /**
   * Threads computing a step's shards when `train.shardSize` cuts the batch (default `auto`: one per core on a
   * CPU tensor backend). Never changes the numbers, only the time.
   */
  workers?: number | 'auto';
  /** The data-parallel worker entry (tests run a build of their own). */
  workerScript?: string;
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
  const splits = await readDetectionSplits(opts.dataset);
  const { val, valGt } = splits;
  // a missing training image would stop the run when the loader reaches it; val images are skipped per image
  const train = await dropMissingImages(splits.train);
  if (train.records.length === 0) {
    throw new TrainingConfigError(
      `${train.source}: no training image with a usable annotation and an image file`,
    );
  }
  const issues = issueCounts(train.issues);
  if (issues) log(`warning: train split ${train.source}: ${issues} (\`dataset check\` lists each)`);
  const numClasses = train.categories.length + 1;
  if (opts.from && opts.weights) {
    throw new TrainingConfigError('--from (a full detector) and --weights (a backbone) exclude each other');
  }
  // Fine-tuning gives the model the dataset's classes, whatever the config's model.numClasses says.
  if (!opts.from && numClasses !== parsed.config.numClasses) {
    throw new TrainingConfigError(
      `${src}: model.numClasses is ${parsed.config.numClasses} but the dataset ${opts.dataset.root} has ${train.categories.length} classes + background`,
    );
  }
  const classes = ['__background__', ...train.categories.map((c) => c.name)];
  const trainOverrides = { ...trainSection(opts.config), ...defined(opts.train) };
  const batchSize = trainOverrides.batchSize ?? 2;
  const loader = new DetectionLoader(train.records, {
    batchSize,
    seed: trainOverrides.seed ?? 0,
    augment: dataSettings.augment ?? { hflipProb: 0.5 },
    onSkip: (rec, reason) =>
      log(`warning: skipped training image ${rec.fileName}: ${reason} (left out of every batch it falls in)`),
  });
  const cfg = resolveTrainingConfig(trainOverrides, {
    source: src,
    iterationsPerEpoch: loader.batchesPerEpoch,
  });
  // Read on resume too: its quirks (frozenBnEps) shape the model the checkpoint is restored into.
  const fromWeights = opts.from ? loadWeights(opts.from) : undefined;
  const modelConfig: FasterRcnnConfig = {
    ...parsed.config,
    numClasses,
    seed: cfg.seed,
    ...weightSetQuirks(fromWeights, parsed.config, log),
  };
  const { model, rngs: samplerRng } = buildTrainingDetector(modelConfig);
  let optimizer: Sgd | undefined;
  let parallel: DataParallelGradients | undefined;
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
    if (cfg.freezeRpn) model.rpn.requiresGrad(false);
    if (fromWeights && !opts.resume) {
      const { names, from } = await sourceClassNames(fromWeights, opts.fromClasses);
      const report = initFromDetector(model, fromWeights, classes, names, from);
      for (const line of describeDetectorInit(report)) log(line);
    } else if (opts.from) {
      log(`--resume: the checkpoint holds the model; --from ${opts.from} is not applied again`);
    }
    if (opts.from || cfg.freezeRpn || cfg.backboneLrMultiplier !== 1) {
      const all = model.namedParameters().length;
      log(
        `trainable: ${model.trainableParameters().length} of ${all} parameter tensors (trainableLayers ${modelConfig.trainableLayers}, ` +
          `backboneNorm ${modelConfig.backboneNorm}, RPN ${cfg.freezeRpn ? 'frozen' : 'trained'}, backbone lr ×${cfg.backboneLrMultiplier})`,
      );
    }
    const sidecar = {
      format: 'resdet-checkpoint',
      version: 1,
      arch: parsed.arch,
      config: modelConfig,
      classes,
      numClasses,
      ...(opts.from ? { finetunedFrom: opts.from } : {}),
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
    // The model in training, read through the same facade and dataset path as `eval --model`.
    const valDetector = Detector.fromModel(model, parsed.arch, { classes }, tf.getBackend());
    const evalWorkers = evaluationWorkers(opts.workers, valRecords.length);
    const evaluate = async ({ iteration }: { iteration: number }) => {
      model.eval();
      let skipped = 0;
      const pooled =
        evalWorkers !== 1
          ? await openEvaluationPool(model, sidecar, opts.outDir, evalWorkers, log)
          : undefined;
      let dets;
      try {
        dets = await predictDataset(pooled ?? valDetector, valRecords, train.categories, {
          batchSize: 4,
          onSkip: (r, reason) => {
            skipped++;
            log(`eval: skipped ${r.fileName}: ${reason}`);
          },
        });
      } finally {
        await pooled?.release();
      }
      if (skipped) log(`eval: ${skipped} val image(s) skipped (scored as without detections)`);
      const result = evaluateCoco(valGtUsed, dets, { gtSource: 'val', dtSource: `iteration ${iteration}` });
      lastEval = { iteration, result };
      return namedStats(result.stats);
    };
    const params = model.trainableParameters();
    optimizer = sgdFromConfig(params, cfg);
    if (cfg.shardSize !== null && cfg.shardSize < cfg.batchSize) {
      const shards = Math.ceil(cfg.batchSize / cfg.shardSize);
      const workers = dataParallelWorkers(opts.workers, shards, { workerScript: opts.workerScript });
      parallel = new DataParallelGradients({
        model,
        rngs: samplerRng,
        modelConfig,
        shardSize: cfg.shardSize,
        batchSize: cfg.batchSize,
        workers,
        lossWeights: cfg.lossWeights,
        freezeRpn: cfg.freezeRpn,
        workerScript: opts.workerScript,
      });
      log(
        `data parallel: batch ${cfg.batchSize} in ${shards} shards of ${cfg.shardSize}, gradients averaged; ` +
          `${workers} thread${workers > 1 ? 's' : ''} (${workers > 1 ? 'this one + workers' : 'the shards run one after another'})`,
      );
    }
    const trainer = new Trainer<PlannedBatch>({
      model: detectorTrainable(model),
      data,
      optimizer,
      lr: scheduleFromConfig(cfg),
      maxIterations: cfg.maxIterations,
      clipGradNorm: cfg.clipGradNorm ?? undefined,
      lossWeights: cfg.lossWeights,
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
      gradients: parallel,
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
    // The momentum buffers as well as the weights: a process that trains twice keeps tf.memory() flat.
    await parallel?.dispose();
    optimizer?.dispose();
    model.dispose();
  }
}

/** Val images per worker below which starting worker threads for an evaluation costs more than it saves. */
const MIN_IMAGES_PER_EVAL_WORKER = 16;

/**
 * Worker threads for the periodic evaluation, as `eval --model --workers`: `auto` spreads the val images over one
 * model copy per core (tfjs on a CPU backend) when they are enough to pay for the start, 1 keeps the model in this
 * thread, as does a run from the sources (no built worker). Whatever the count, the detections are the same.
 */
function evaluationWorkers(requested: number | 'auto' | undefined, images: number): number | 'auto' {
  const most = Math.floor(images / MIN_IMAGES_PER_EVAL_WORKER);
  if (most < 2 || !detectorWorkersBuilt()) return 1;
  return typeof requested === 'number' ? Math.max(1, Math.min(requested, most)) : 'auto';
}

/**
 * The model as it is now, in worker threads: written as a resdet checkpoint beside the run's checkpoints, opened
 * by the detector pool (each worker loads it once), and deleted once they have.
 */
async function openEvaluationPool(
  model: GeneralizedRCNN,
  meta: Record<string, unknown>,
  outDir: string,
  workers: number | 'auto',
  log: (msg: string) => void,
): Promise<Detector> {
  const base = path.join(outDir, 'checkpoints', '.evaluation-model');
  fs.mkdirSync(path.dirname(base), { recursive: true });
  saveCheckpoint(base, { model: model.stateDict(), meta });
  try {
    return await openDetector({
      weights: `${base}.safetensors`,
      engine: 'tfjs',
      backend: tf.getBackend(),
      workers,
      warmup: false,
      // The pool's own line only (`N detector workers`), not every worker's load report at each evaluation.
      log: (m) => /detector workers/.test(m) && log(`eval: ${m}`),
    });
  } finally {
    // Each worker has loaded the model once it is open: the file is not read again.
    for (const ext of ['.safetensors', '.json']) fs.rmSync(base + ext, { force: true });
  }
}

/**
 * Settings that belong to the weight set a fine-tuning run starts from: FrozenBatchNorm eps of torchvision's
 * COCO_V1 weights (0, `overwrite_eps`), or the eps a resdet checkpoint was trained with.
 */
function weightSetQuirks(
  w: LoadedWeights | undefined,
  config: Readonly<FasterRcnnConfig>,
  log: (msg: string) => void,
): Partial<FasterRcnnConfig> {
  const eps =
    w?.known?.quirks.frozenBnEps ?? (w?.meta?.config as Partial<FasterRcnnConfig> | undefined)?.frozenBnEps;
  if (eps === undefined || config.backboneNorm !== 'frozen' || eps === config.frozenBnEps) return {};
  log(`frozenBnEps ${eps}: the eps ${w!.file} was trained with (the config says ${config.frozenBnEps})`);
  return { frozenBnEps: eps };
}

function restrictGt(gt: CocoDataset, ids: Set<number>): CocoDataset {
  return {
    ...gt,
    images: gt.images.filter((im) => ids.has(im.id)),
    annotations: gt.annotations.filter((a) => ids.has(a.image_id)),
  };
}

/**
 * `3 box-degenerate, 1 unknown-category` for a reader's issues (bad boxes are already dropped or clipped, as
 * Detectron2's filter_empty_annotations does, so training never sees a NaN-making box); '' when none.
 */
export function issueCounts(issues: readonly DatasetIssue[]): string {
  const counts = new Map<string, number>();
  for (const i of issues) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}
