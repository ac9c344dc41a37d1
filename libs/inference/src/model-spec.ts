import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { inferNumClasses, resolveArchConfig, ConfigError, type FasterRcnnConfig } from '@resdet/detection';
import type { LoadedWeights } from '@resdet/checkpoint';

/** Where a model comes from: the CLI's model flags (`detect`, `serve`, `eval --model`). */
export interface ModelSource {
  /** A model config JSON (`configs/….json`): `{ "arch": …, "model"?: {FasterRcnnConfig overrides}, "classes"?: […] }`. */
  config?: string;
  /** Architecture name (`--arch`), when no config is given. */
  arch?: string;
  /** Weights: torchvision `.pth`, `.safetensors`, or a resdet checkpoint. */
  weights?: string;
  /** Classes including background; inferred from the checkpoint's predictor when omitted. */
  numClasses?: number;
  /** A file with one class name per line, in label order (a first `__background__` line is optional). */
  classesFile?: string;
  minSize?: number;
  maxSize?: number;
  /** The model's own score threshold (`box_score_thresh`, default 0.05). */
  scoreThreshold?: number;
  /** The model's own detections per image (`box_detections_per_img`, default 100). */
  maxDetections?: number;
}

/** A resolved model: architecture, full config, and how labels map to names and category ids. */
export interface ModelSpec {
  arch: string;
  overrides: Partial<FasterRcnnConfig>;
  config: Readonly<FasterRcnnConfig>;
  /** Names by label id (0 = background). */
  classes: string[];
  /** Category id to report per label (e.g. original COCO ids of a dataset); label id when absent. */
  categoryIds?: number[];
}

/** Repository `configs/` folder (model zoo JSON files). */
export const CONFIGS_DIR = path.resolve(__dirname, '../../../configs');

/** The model part of a `configs/*.json` file (training sections, if any, are ignored here). */
interface ConfigFile {
  arch?: string;
  model?: Partial<FasterRcnnConfig>;
  classes?: string[];
  categoryIds?: number[];
}

/**
 * Merges, in increasing priority: the architecture's defaults, the zoo/config file, the checkpoint's
 * sidecar, weights quirks (e.g. torchvision's COCO weights need FrozenBatchNorm eps 0), and explicit flags.
 */
export async function resolveModelSpec(src: ModelSource, weights?: LoadedWeights): Promise<ModelSpec> {
  const file = src.config ? await readConfigFile(src.config) : undefined;
  const meta = weights?.meta;
  const arch = src.arch ?? file?.arch ?? meta?.arch ?? weights?.known?.arch;
  if (!arch) {
    throw new ConfigError('no model architecture: pass --config configs/<name>.json or --arch <name>');
  }
  const zoo = src.config ? undefined : await readZooConfig(arch);
  const metaConfig = (meta?.config ?? {}) as Partial<FasterRcnnConfig>;
  const overrides: Partial<FasterRcnnConfig> = { ...zoo?.model, ...file?.model, ...metaConfig };
  if (weights?.known?.quirks.frozenBnEps !== undefined)
    overrides.frozenBnEps = weights.known.quirks.frozenBnEps;
  const numClasses =
    src.numClasses ??
    (weights ? inferNumClasses(weights.stateDict, weights.file) : undefined) ??
    overrides.numClasses;
  if (numClasses !== undefined) overrides.numClasses = numClasses;
  if (src.minSize !== undefined) overrides.minSize = src.minSize;
  if (src.maxSize !== undefined) overrides.maxSize = src.maxSize;
  if (src.scoreThreshold !== undefined) overrides.boxScoreThresh = src.scoreThreshold;
  if (src.maxDetections !== undefined) overrides.boxDetectionsPerImg = src.maxDetections;
  const config = resolveArchConfig(arch, overrides, src.config);

  const classes = await resolveClassNames(src.classesFile, config.numClasses, [
    meta?.classes,
    file?.classes,
    zoo?.classes,
  ]);
  const categoryIds = (meta?.categoryIds as number[] | undefined) ?? file?.categoryIds ?? zoo?.categoryIds;
  return { arch, overrides, config, classes, categoryIds };
}

/**
 * Names by label id: a `--classes` file must fit the model (else an error); otherwise the first candidate
 * list of the right length (sidecar, config, zoo), COCO's names for 91 classes, or `class_<k>`.
 */
async function resolveClassNames(
  classesFile: string | undefined,
  numClasses: number,
  candidates: readonly (readonly string[] | undefined)[],
): Promise<string[]> {
  if (classesFile) {
    let names = await readClassesFile(classesFile);
    // A names file may leave out the background entry: label ids still count it.
    if (names.length === numClasses - 1) names = ['__background__', ...names];
    if (names.length !== numClasses) {
      throw new ConfigError(
        `${classesFile}: ${names.length} names for a model with ${numClasses} classes (background included)`,
      );
    }
    return names;
  }
  const fit = candidates.find((c) => c?.length === numClasses);
  if (fit) return [...fit];
  if (numClasses === 91) {
    const coco = await cocoCategoryNames();
    if (coco) return coco;
  }
  return Array.from({ length: numClasses }, (_, i) => (i === 0 ? '__background__' : `class_${i}`));
}

/**
 * torchvision's 91 COCO_V1 category names by label id (`__background__` first, 'N/A' for unused COCO ids), as
 * the zoo's `fasterrcnn_resnet50_fpn` config lists them; undefined when that file is absent.
 */
export async function cocoCategoryNames(): Promise<string[] | undefined> {
  const coco = (await readZooConfig('fasterrcnn_resnet50_fpn'))?.classes;
  return coco?.length === 91 ? [...coco] : undefined;
}

async function readConfigFile(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read model config (${(e as Error).message})`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    const known = new Set(['arch', 'model', 'classes', 'categoryIds', 'train', 'data', 'demo']);
    const stray = Object.keys(parsed).filter((k) => !known.has(k) && !k.startsWith('$'));
    if (stray.length) {
      throw new Error(`unknown top-level field(s) ${stray.join(', ')} (model settings go under "model")`);
    }
    const model = (parsed as ConfigFile).model;
    if (model !== undefined && (typeof model !== 'object' || model === null || Array.isArray(model))) {
      throw new Error('"model" must be an object of FasterRcnnConfig fields');
    }
    return parsed as ConfigFile;
  } catch (e) {
    throw new ConfigError(`${file}: not a valid model config (${(e as Error).message})`);
  }
}

async function readZooConfig(arch: string): Promise<ConfigFile | undefined> {
  const file = path.join(CONFIGS_DIR, `${arch}.json`);
  try {
    return await readConfigFile(file);
  } catch {
    return undefined;
  }
}

/** One class name per line; blank lines and `#` comments skipped. */
export async function readClassesFile(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new ConfigError(`${file}: cannot read class names (${e.message})`);
  });
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (names.length === 0) throw new ConfigError(`${file}: no class names (one per line)`);
  return names;
}
