import { Detector, type DetectorLoadOptions, type ImageDetector } from '@resdet/inference';
import { backendCaps } from '@resdet/runtime';
import { createOrtDetector } from './ort-detector';

/** Inference engines behind the same ImageDetector interface. */
export type EngineName = 'ort' | 'tfjs' | 'auto';

/** onnxruntime-node is an optional dependency: it may be missing. */
export function ortAvailable(): boolean {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the model once and returns the engine that will run it: onnxruntime (the same module objects exported
 * to ONNX in memory, BN folded, one thread per core) or tfjs. `auto` (default) picks onnxruntime when it is
 * installed and tfjs would run on a CPU backend (a GPU backend is faster than onnxruntime's CPU provider).
 *
 * @example
 * const det = await loadDetectorEngine({ arch: 'fasterrcnn_resnet50_fpn', weights: 'coco.pth', engine: 'auto' });
 */
export async function loadDetectorEngine(
  opts: DetectorLoadOptions & { engine?: EngineName },
): Promise<ImageDetector> {
  const engine = opts.engine ?? 'auto';
  const det = await Detector.load({ ...opts, warmup: engine === 'tfjs' });
  if (engine === 'tfjs' || (engine === 'auto' && (!ortAvailable() || backendCaps(det.info.backend).gpu))) {
    if (engine !== 'tfjs') await det.predict([{ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) }]);
    return det;
  }
  try {
    if (!ortAvailable()) {
      throw new Error(
        '--engine ort: the optional package onnxruntime-node is not installed (npm i onnxruntime-node)',
      );
    }
    const ort = await createOrtDetector(det.model, {
      modelName: det.info.model,
      classes: det.info.classes,
      categoryIds: det.categoryIds,
    });
    opts.log?.(`resdet: inference engine ${ort.info.backend}`);
    return ort;
  } finally {
    det.dispose();
  }
}
