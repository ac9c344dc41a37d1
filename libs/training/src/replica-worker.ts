import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { errorMessage } from '@resdet/data';
import { buildTrainingDetector } from './training-detector';
import { ShardReplica } from './shard-replica';
import { registerFastWasmBackprop } from './wasm-fast-backprop';
import type { ReplicaInit, ReplicaReply, ReplicaRequest } from './replica-worker-protocol';

/**
 * The entry of one data-parallel replica thread: the model on this thread's own tensor engine, loaded once from
 * the main model's state; then, per shard, the step's parameters from shared memory, the shard's gradients into
 * its shared slot. A failed shard is answered with its error (the run stops); a crash ends the thread.
 */
async function serve(init: ReplicaInit): Promise<void> {
  const port = parentPort!;
  const post = (m: ReplicaReply) => port.postMessage(m);
  let replica: ShardReplica;
  try {
    await initRuntime({ backend: init.backend, env: process.env });
    if (tf.getBackend() === 'wasm') registerFastWasmBackprop();
    const { model, rngs } = buildTrainingDetector(init.modelConfig);
    model.loadStateDict(init.state, { strict: true });
    if (init.freezeRpn) model.rpn.requiresGrad(false);
    replica = new ShardReplica(model, rngs, init.lossWeights);
    const names = replica.layout.names;
    if (names.length !== init.trainableNames.length || names.some((n, i) => n !== init.trainableNames[i])) {
      throw new Error(
        `replica ${init.index}: its trainable parameters differ from the main model's (${names.length} vs ${init.trainableNames.length})`,
      );
    }
  } catch (e) {
    post({ type: 'init-error', message: errorMessage(e) });
    return;
  }
  const size = replica.layout.size;
  const params = new Float32Array(init.params, 0, size);
  let loadedStep = -1;
  // Shards are computed one at a time in arrival order (an async compute must not interleave with the next).
  let queue = Promise.resolve();
  port.on('message', (req: ReplicaRequest) => {
    queue = queue.then(async () => {
      try {
        if (req.step !== loadedStep) {
          replica.loadParams(params);
          loadedStep = req.step;
        }
        const out = new Float32Array(init.grads, req.slot * size * 4, size);
        post({ type: 'result', slot: req.slot, result: await replica.compute(req.task, out) });
      } catch (e) {
        post({ type: 'error', slot: req.slot, message: errorMessage(e) });
      }
    });
  });
  post({ type: 'ready' });
}

void serve(workerData as ReplicaInit);
