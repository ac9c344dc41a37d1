import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Detections } from '@resdet/detection';
import type { RawImage, WorkerPoolStatus } from './detection-types';
import type { DetectionEngine } from './detection-engine';
import type { OpenDetectorOptions } from './detector';
import type { LabelMap } from './to-detections';
import type { WorkerInit, WorkerReply, WorkerRequest } from './detector-worker-protocol';
import { WorkerCrashError } from './worker-crash-error';
import { DETECTOR_WORKER_SCRIPT } from './detector-worker-script';

/** What {@link openDetectorPool} returns: an engine over the workers, and the model's name and labels. */
export interface DetectorPool {
  engine: DetectionEngine;
  arch: string;
  labels: LabelMap;
}

interface Task {
  images: readonly RawImage[];
  resolve: (d: Detections[]) => void;
  reject: (e: Error) => void;
}

/**
 * Starts `workers` worker threads, each opening the model once on its own tensor engine (tfjs-wasm runs one
 * thread per engine, so this is how a folder of images uses every core). Batches go to whichever worker is
 * free; each batch's detections come back whole, so callers keep their own order. Images are copied to the
 * worker (the caller keeps its own). A worker that fails to load rejects the open with its error; one that
 * dies later fails every pending batch, and every later one, with a {@link WorkerCrashError} (no restart: a
 * server reports itself down). `release()` ends the workers; `status()` tells how many are still alive, their
 * tensor counts and the failure, if any.
 */
export async function openDetectorPool(
  opts: OpenDetectorOptions,
  workers: number,
  workerScript = DETECTOR_WORKER_SCRIPT,
): Promise<DetectorPool> {
  const log = opts.log;
  if (!existsSync(workerScript)) {
    throw new Error(
      `detector workers run the built worker: ${workerScript} is missing (node tools/build.js)`,
    );
  }
  const init: Omit<WorkerInit, 'index'> = {
    ...opts,
    log: undefined,
    workers: 1,
    maxWorkers: undefined,
    env: opts.env && { ...opts.env },
    // onnxruntime spreads each op over threads of its own: share the cores rather than oversubscribe them.
    intraOpThreads:
      opts.intraOpThreads ?? Math.max(1, Math.floor(availableParallelism() / Math.max(workers, 1))),
  };
  const threads = Array.from(
    { length: workers },
    (_, index) => new Worker(workerScript, { workerData: { ...init, index } satisfies WorkerInit }),
  );
  const idle: Worker[] = [];
  const queue: Task[] = [];
  const busy = new Map<Worker, Task>();
  const tensors = new Array<number>(workers).fill(0);
  let alive = workers;
  let failure: Error | undefined;
  let closing = false;

  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    for (const t of [...busy.values(), ...queue.splice(0)]) t.reject(e);
    busy.clear();
    void Promise.all(threads.map((w) => w.terminate()));
  };
  const dispatch = () => {
    while (!failure && idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const task = queue.shift()!;
      busy.set(w, task);
      // One exact-size copy per image, moved (not cloned again) to the worker: the caller keeps its own.
      const images = task.images.map((im) => ({ ...im, data: im.data.slice() }));
      w.postMessage(
        { images } satisfies WorkerRequest,
        images.map((im) => im.data.buffer as ArrayBuffer),
      );
    }
  };

  const ready = threads.map(
    (w, index) =>
      new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
        w.on('message', (m: WorkerReply) => {
          if (m.type === 'log') {
            // Every worker logs the same load report: show worker 0's (its backend is in the pool's own line
            // below), and anything unusual from all.
            if (m.warning) log?.(`worker ${index}: ${m.message}`);
            else if (index === 0 && !m.message.startsWith('resdet: tensor backend')) log?.(m.message);
          } else if (m.type === 'ready') {
            tensors[index] = m.tensors;
            idle.push(w);
            resolve(m);
            dispatch();
          } else if (m.type === 'load-error') {
            reject(new Error(m.message));
          } else {
            const task = busy.get(w);
            busy.delete(w);
            idle.push(w);
            if (m.type === 'result') {
              tensors[index] = m.tensors;
              task?.resolve(m.detections);
            } else task?.reject(new Error(m.message));
            dispatch();
          }
        });
        w.on('error', (e) => {
          const crash = new WorkerCrashError(`detector worker ${index} crashed: ${e.message}`);
          reject(crash);
          fail(crash);
        });
        w.on('exit', (code) => {
          alive--;
          if (closing) return;
          const crash = new WorkerCrashError(`detector worker ${index} exited (code ${code})`);
          reject(crash);
          fail(crash);
        });
      }),
  );

  const release = async () => {
    closing = true;
    fail(new WorkerCrashError('the detector pool was released'));
    await Promise.all(threads.map((w) => w.terminate()));
  };
  let first: Extract<WorkerReply, { type: 'ready' }>;
  try {
    [first] = await Promise.all(ready);
  } catch (e) {
    await release();
    throw e;
  }
  log?.(`resdet: ${workers} detector workers (${first.backend})`);
  const engine: DetectionEngine = {
    backend: first.backend,
    concurrency: workers,
    run: (images) =>
      new Promise<Detections[]>((resolve, reject) => {
        if (failure) return reject(failure);
        queue.push({ images, resolve, reject });
        dispatch();
      }),
    release,
    status: (): WorkerPoolStatus => ({
      workersAlive: alive,
      workerTensors: [...tensors],
      failure: failure?.message,
    }),
  };
  return { engine, arch: first.arch, labels: first.labels };
}
