import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Numeric settings that belong to a published weight set, not to a layer (see STYLE.md). */
export interface WeightsQuirks {
  /**
   * eps for every FrozenBatchNorm2d after loading. torchvision's `fasterrcnn_resnet50_fpn` calls
   * `overwrite_eps(model, 0.0)` (torchvision/models/detection/_utils.py) for its COCO_V1 weights,
   * which were trained before pytorch/vision#2933 added eps 1e-5 to FrozenBatchNorm2d.
   */
  frozenBnEps?: number;
  /** The file uses torchvision's pre-0.13 key names (load through upgradeTorchvisionKeys). */
  oldKeyNames?: boolean;
  /** Classification eval preprocessing torchvision pairs with these weights (resize short side, crop). */
  evalResize?: number;
  evalCrop?: number;
}

/** A published torchvision weights file and what a builder must know to reproduce torchvision with it. */
export interface KnownWeights {
  /** torchvision's enum name, e.g. `FasterRCNN_ResNet50_FPN_Weights.COCO_V1`. */
  torchvisionName: string;
  /** File name as published (download.pytorch.org/models/<file>); the suffix is the sha256 prefix. */
  file: string;
  /** resdet architecture name (`--arch`). */
  arch: string;
  numClasses: number;
  /** torch serialisation of the published file, where known (readers sniff it anyway). */
  format?: 'torch-zip' | 'torch-legacy';
  quirks: WeightsQuirks;
}

const IMAGENET_V1: WeightsQuirks = Object.freeze({ evalResize: 256, evalCrop: 224 });
const IMAGENET_V2: WeightsQuirks = Object.freeze({ evalResize: 232, evalCrop: 224 });

/**
 * torchvision 0.14's weights for the architectures resdet builds. Builders look a weights file up
 * here (by its published name or content hash) and apply `quirks`; nothing here is applied by a layer.
 * `format` is recorded only where certain: the COCO detection weights (2019) predate torch 1.6's zip
 * format, so they are legacy-format files.
 */
export const TORCHVISION_WEIGHTS: readonly KnownWeights[] = Object.freeze([
  {
    torchvisionName: 'FasterRCNN_ResNet50_FPN_Weights.COCO_V1',
    file: 'fasterrcnn_resnet50_fpn_coco-258fb6c6.pth',
    arch: 'fasterrcnn_resnet50_fpn',
    numClasses: 91,
    format: 'torch-legacy',
    // torchvision.models.detection.faster_rcnn.fasterrcnn_resnet50_fpn: overwrite_eps(model, 0.0)
    quirks: Object.freeze({ frozenBnEps: 0, oldKeyNames: true }),
  },
  {
    torchvisionName: 'FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1',
    file: 'fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth',
    arch: 'fasterrcnn_resnet50_fpn_v2',
    numClasses: 91,
    // fasterrcnn_resnet50_fpn_v2 loads these as they are: BatchNorm2d (eps 1e-5), today's key names
    quirks: Object.freeze({}),
  },
  ...(
    [
      ['ResNet18_Weights.IMAGENET1K_V1', 'resnet18-f37072fd.pth', 'resnet18', IMAGENET_V1],
      ['ResNet34_Weights.IMAGENET1K_V1', 'resnet34-b627a593.pth', 'resnet34', IMAGENET_V1],
      ['ResNet50_Weights.IMAGENET1K_V1', 'resnet50-0676ba61.pth', 'resnet50', IMAGENET_V1],
      ['ResNet50_Weights.IMAGENET1K_V2', 'resnet50-11ad3fa6.pth', 'resnet50', IMAGENET_V2],
      ['ResNet101_Weights.IMAGENET1K_V1', 'resnet101-63fe2227.pth', 'resnet101', IMAGENET_V1],
      ['ResNet101_Weights.IMAGENET1K_V2', 'resnet101-cd907fc2.pth', 'resnet101', IMAGENET_V2],
      ['ResNet152_Weights.IMAGENET1K_V1', 'resnet152-394f9c45.pth', 'resnet152', IMAGENET_V1],
      ['ResNet152_Weights.IMAGENET1K_V2', 'resnet152-f82ba261.pth', 'resnet152', IMAGENET_V2],
    ] as const
  ).map(([torchvisionName, file, arch, quirks]): KnownWeights =>
    Object.freeze({ torchvisionName, file, arch, numClasses: 1000, quirks }),
  ),
]);

/** The 8 hex digits torchvision puts in a weights file name (`…-258fb6c6.pth`), if any. */
export function hashPrefixOfName(file: string): string | undefined {
  return /-([0-9a-f]{8,})\.(pth|pt)$/.exec(path.basename(file))?.[1];
}

/** First `n` hex digits of a file's sha256, read in 1 MB chunks (torchvision's `check_hash` prefix). */
export function sha256Prefix(file: string, n = 8): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let read; (read = fs.readSync(fd, buf, 0, buf.length, null)) > 0;)
      hash.update(buf.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex').slice(0, n);
}

/**
 * Finds a weights file in TORCHVISION_WEIGHTS: by its published name's hash suffix, or, with
 * `{ byContent: true }`, by the sha256 of its bytes (so a renamed copy is still recognised).
 */
export function findKnownWeights(file: string, opts: { byContent?: boolean } = {}): KnownWeights | undefined {
  const fromName = hashPrefixOfName(file);
  const byName =
    fromName && TORCHVISION_WEIGHTS.find((w) => hashPrefixOfName(w.file) === fromName.slice(0, 8));
  if (byName) return byName;
  if (!opts.byContent) return undefined;
  const h = sha256Prefix(file);
  return TORCHVISION_WEIGHTS.find((w) => hashPrefixOfName(w.file) === h);
}
