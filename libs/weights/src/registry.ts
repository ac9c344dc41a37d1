import * as path from 'path';
import type { WeightsEnv } from './cache-dir';
import { readUserRegistry } from './user-registry';
import { hashPrefixOfFileName, type ExpectedHash } from './verify';
import { WeightsError } from './weights-error';

/** One named weights file: downloaded into the cache (`url`) or used where it lies (`path`). */
export interface WeightsEntry {
  /** What `--weights` / `--from` / `weights pull` accept, e.g. `resnet50` or `fasterrcnn_resnet50_fpn`. */
  name: string;
  /**
   * File name in the cache. torchvision's published names keep their hash suffix, which is also how the
   * loaders recognise a weight set and its quirks (`findKnownWeights` in @resdet/checkpoint).
   */
  file: string;
  /** Download location (rewritten by RESDET_WEIGHTS_MIRROR). Exactly one of `url` and `path`. */
  url?: string;
  /** Absolute path of a local file (a resdet checkpoint's JSON sidecar sits beside it). */
  path?: string;
  /** Full SHA-256 (hex). Without it, the hash prefix in `file` is checked, as torch.hub does. */
  sha256?: string;
  /** resdet architecture (`--arch`) and classes including background, where known. */
  arch?: string;
  numClasses?: number;
  /** Approximate size in MiB (torchvision's `_file_size`), for `weights list`. */
  sizeMiB?: number;
  source: string;
  license: string;
  /** `built-in`, or the user registry file the entry came from. */
  origin: string;
}

const TORCHVISION_LICENSE = 'BSD-3-Clause (torchvision)';
const DOWNLOAD = 'https://download.pytorch.org/models/';

type TorchvisionRow = readonly [
  name: string,
  file: string,
  arch: string,
  classes: number,
  mib: number,
  enumName: string,
];

/** torchvision's published weights, as in its model builders (`resnet.py`, `detection/faster_rcnn.py`). */
const TORCHVISION_ROWS: readonly TorchvisionRow[] = [
  ['resnet18', 'resnet18-f37072fd.pth', 'resnet18', 1000, 44.661, 'ResNet18_Weights.IMAGENET1K_V1'],
  ['resnet34', 'resnet34-b627a593.pth', 'resnet34', 1000, 83.275, 'ResNet34_Weights.IMAGENET1K_V1'],
  ['resnet50', 'resnet50-0676ba61.pth', 'resnet50', 1000, 97.781, 'ResNet50_Weights.IMAGENET1K_V1'],
  ['resnet101', 'resnet101-63fe2227.pth', 'resnet101', 1000, 170.511, 'ResNet101_Weights.IMAGENET1K_V1'],
  ['resnet152', 'resnet152-394f9c45.pth', 'resnet152', 1000, 230.434, 'ResNet152_Weights.IMAGENET1K_V1'],
  ['resnet50_v2', 'resnet50-11ad3fa6.pth', 'resnet50', 1000, 97.79, 'ResNet50_Weights.IMAGENET1K_V2'],
  ['resnet101_v2', 'resnet101-cd907fc2.pth', 'resnet101', 1000, 170.53, 'ResNet101_Weights.IMAGENET1K_V2'],
  ['resnet152_v2', 'resnet152-f82ba261.pth', 'resnet152', 1000, 230.474, 'ResNet152_Weights.IMAGENET1K_V2'],
  [
    'fasterrcnn_resnet50_fpn',
    'fasterrcnn_resnet50_fpn_coco-258fb6c6.pth',
    'fasterrcnn_resnet50_fpn',
    91,
    159.743,
    'FasterRCNN_ResNet50_FPN_Weights.COCO_V1',
  ],
  [
    'fasterrcnn_resnet50_fpn_v2',
    'fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth',
    'fasterrcnn_resnet50_fpn_v2',
    91,
    167.104,
    'FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1',
  ],
];

/**
 * The built-in registry: torchvision's ImageNet ResNets and COCO Faster R-CNNs (verified by the hash prefix in
 * their published names), and the demo's shapes model committed under `test/fixtures/models` (a local entry
 * with its full SHA-256). `root` is the resdet package folder.
 */
export function builtinRegistry(root: string): WeightsEntry[] {
  const torchvision = TORCHVISION_ROWS.map(
    ([name, file, arch, numClasses, sizeMiB, enumName]): WeightsEntry => ({
      name,
      file,
      url: DOWNLOAD + file,
      arch,
      numClasses,
      sizeMiB,
      source: `torchvision ${enumName}`,
      license: TORCHVISION_LICENSE,
      origin: 'built-in',
    }),
  );
  const shapesDemo: WeightsEntry = {
    name: 'shapes-demo',
    file: 'shapes-demo.safetensors',
    path: path.join(root, 'test', 'fixtures', 'models', 'shapes-demo.safetensors'),
    sha256: '2722ae8b652108ab1cee11c5d70ab8e7c7652a8d848f88fae3cd51bcd73eb8e6',
    arch: 'fasterrcnn_shapes_demo',
    numClasses: 5,
    sizeMiB: 3.412,
    source: 'resdet demo (fp16 fixture)',
    license: 'MIT (resdet)',
    origin: 'built-in',
  };
  return [...torchvision, shapesDemo];
}

/**
 * The registry in effect: the built-in entries, then each file in `RESDET_REGISTRY` (several joined with the
 * platform's path delimiter). A user entry with a built-in name replaces it (e.g. to pin your own copy).
 */
export function loadRegistry(env: WeightsEnv, root: string): WeightsEntry[] {
  const byName = new Map(builtinRegistry(root).map((e) => [e.name, e]));
  const files = (env.RESDET_REGISTRY ?? '').split(path.delimiter).filter(Boolean);
  for (const file of files) for (const e of readUserRegistry(file)) byName.set(e.name, e);
  return [...byName.values()];
}

/** The entry called `name`, or a WeightsError that lists the names there are. */
export function findEntry(registry: readonly WeightsEntry[], name: string): WeightsEntry {
  const entry = registry.find((e) => e.name === name);
  if (!entry) {
    throw new WeightsError(
      `no weights named "${name}" in the registry (known: ${registry.map((e) => e.name).join(', ')}; ` +
        'resdet weights list)',
    );
  }
  return entry;
}

/** What the entry's file must hash to: its full SHA-256, else the prefix in its published file name. */
export function expectedHashOf(entry: WeightsEntry): ExpectedHash {
  return entry.sha256 ? { sha256: entry.sha256 } : { prefix: hashPrefixOfFileName(entry.file) };
}

/** The URL to fetch: RESDET_WEIGHTS_MIRROR (a base URL) replaces the scheme and host, the path is kept. */
export function entryUrl(entry: WeightsEntry, env: WeightsEnv): string {
  if (!entry.url) throw new WeightsError(`weights "${entry.name}" are a local file, not a download`);
  const mirror = env.RESDET_WEIGHTS_MIRROR;
  if (!mirror) return entry.url;
  const { pathname, search } = new URL(entry.url);
  return mirror.replace(/\/+$/, '') + pathname + search;
}
