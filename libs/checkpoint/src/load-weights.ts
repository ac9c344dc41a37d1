import * as fs from 'fs';
import { StateDict } from '@resdet/nn';
import { CheckpointError } from './checkpoint-error';
import { WeightsFormat, readWeightsFile } from './read-state-dict';
import { CheckpointMeta, checkpointPaths, loadCheckpoint } from './resdet-checkpoint';
import { KeyRename, upgradeTorchvisionKeys } from './torchvision-keys';
import { KnownWeights, findKnownWeights } from './weights-table';

/** Weights ready for a model builder, whatever file they came from. */
export interface LoadedWeights {
  format: WeightsFormat | 'resdet';
  /** torchvision names (old Faster R-CNN names already upgraded), torch layouts. */
  stateDict: StateDict;
  /** The file the tensors were read from. */
  file: string;
  /** resdet sidecar (arch, config, classes, …) when there is one. */
  meta?: CheckpointMeta;
  /** A published torchvision weight set recognised by file name, with its quirks (e.g. frozenBnEps 0). */
  known?: KnownWeights;
  /** Keys renamed from torchvision's pre-0.13 names. */
  renamed: KeyRename[];
}

/**
 * The one entry point for "weights accepted everywhere" (ARCHITECTURE.md): a resdet checkpoint (its
 * `.json`, its `.safetensors` with a sidecar beside it, or its base name), a `.safetensors` file, or a
 * torchvision `.pth`/`.pt` (zip or legacy). Old torchvision Faster R-CNN key names are upgraded, and
 * published torchvision files are recognised by name so builders can apply their quirks.
 */
export function loadWeights(file: string): LoadedWeights {
  const paths = checkpointPaths(file);
  const isSidecarPath = file.endsWith('.json') || !fs.existsSync(file);
  if (
    (isSidecarPath || file === paths.weights) &&
    fs.existsSync(paths.sidecar) &&
    fs.existsSync(paths.weights)
  ) {
    const ckpt = loadCheckpoint(file, { optimizer: false });
    const { stateDict, renamed } = upgradeTorchvisionKeys(ckpt.model);
    return { format: 'resdet', stateDict, file: paths.weights, meta: ckpt.meta, renamed };
  }
  if (!fs.existsSync(file)) throw new CheckpointError('no such file', file);
  const w = readWeightsFile(file);
  const { stateDict, renamed } = upgradeTorchvisionKeys(w.stateDict);
  return { format: w.format, stateDict, file, known: findKnownWeights(file), renamed };
}
