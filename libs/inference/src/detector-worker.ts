import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { errorMessage } from '@resdet/data';
import { openDetectionEngine } from './detector';
import type { WorkerInit, WorkerReply, WorkerRequest } from './detector-worker-protocol';

/**
 * The entry of one {@link openDetectorPool} worker thread: opens the model once on this thread's own tensor
 * engine, then runs the batches it is sent one at a time. A batch the model rejects is answered with its
 * error (the caller retries or skips those images); only a crash ends the worker.
 */
async function serve(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const post = (m: WorkerReply) => port.postMessage(m);
  let opened;
  try {
    opened = await openDetectionEngine({ ...init, log: (message) => post({ type: 'log', message }) });
  } catch (e) {
    post({ type: 'load-error', message: errorMessage(e) });
    return;
  }
  const { engine, spec } = opened;
  // Every batch must leave the engine's tensors as they were after warm-up.
  const baseline = tf.memory().numTensors;
  port.on('message', (req: WorkerRequest) => {
    engine.run(req.images).then(
      (detections) => {
        const now = tf.memory().numTensors;
        if (now !== baseline) {
          post({ type: 'log', warning: true, message: `tensors grew from ${baseline} to ${now}` });
        }
        post({ type: 'result', detections, tensors: now });
      },
      (e: unknown) => post({ type: 'error', message: errorMessage(e) }),
    );
  });
  post({
    type: 'ready',
    backend: engine.backend,
    arch: spec.arch,
    labels: { classes: spec.classes, categoryIds: spec.categoryIds },
    tensors: baseline,
  });
}

void serve(workerData as WorkerInit);
