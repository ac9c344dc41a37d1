import * as tf from '@tensorflow/tfjs-core';
import { backendCaps } from '@resdet/runtime';
import { rgbToTensor, type Detections, type GeneralizedRCNN } from '@resdet/detection';
import type { RawImage, WorkerPoolStatus } from './detection-types';

/** Inference engines behind the Detector facade; `auto` picks one (see {@link chooseEngine}). */
export type EngineName = 'ort' | 'tfjs' | 'auto';

/** What runs a model: RGB uint8 images in, raw detections (xyxy in original pixels, contiguous labels) out. */
export interface DetectionEngine {
  /** `wasm`, `webgpu`, … for tfjs; `onnxruntime-cpu` / `onnxruntime-cuda` for onnxruntime. */
  readonly backend: string;
  run(images: readonly RawImage[]): Promise<Detections[]>;
  release(): Promise<void>;
  /** Batches it runs at once (a pool of workers); 1 when absent. */
  readonly concurrency?: number;
  /** A pool's state (health, metrics); absent for an engine in this thread. */
  status?(): WorkerPoolStatus;
}

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
 * `auto` → onnxruntime when it is installed and tfjs would run on a CPU backend (a GPU backend is faster than
 * onnxruntime's CPU provider), else tfjs.
 */
export function chooseEngine(engine: EngineName, tfjsBackend: string): 'ort' | 'tfjs' {
  if (engine !== 'auto') return engine;
  return ortAvailable() && !backendCaps(tfjsBackend).gpu ? 'ort' : 'tfjs';
}

/** The tfjs engine: the model runs on the tensor backend; it owns the model (release disposes it). */
export function tfjsEngine(model: GeneralizedRCNN, backend: string): DetectionEngine {
  return {
    backend,
    async run(images) {
      const inputs = images.map((im) => rgbToTensor(im));
      try {
        return await model.predict(inputs);
      } finally {
        tf.dispose(inputs);
      }
    },
    release: async () => model.dispose(),
  };
}

/**
 * The onnxruntime engine for a loaded model: the same module objects exported to ONNX in memory (BN folded),
 * sessions opened once. The model is read, not kept. @resdet/onnx is imported here, lazily, so that nothing
 * loads onnxruntime-node unless this engine is asked for (inference depends on onnx; onnx never on inference).
 */
export async function ortEngine(
  model: GeneralizedRCNN,
  opts: { intraOpNumThreads?: number } = {},
): Promise<DetectionEngine> {
  if (!ortAvailable()) {
    throw new Error(
      '--engine ort: the optional package onnxruntime-node is not installed (npm i onnxruntime-node)',
    );
  }
  const { OrtFasterRcnn } = await import('@resdet/onnx');
  const ort = await OrtFasterRcnn.create(model, opts);
  return {
    backend: `onnxruntime-${ort.device}`,
    run: (images) => ort.predict(images),
    release: () => ort.release(),
  };
}
