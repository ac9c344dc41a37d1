/**
 * A detector worker died (uncaught error, out of memory, exit): its pool is unusable and every pending and later
 * batch fails with this error. Job loops rethrow it rather than counting images as skipped.
 */
export class WorkerCrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashError';
  }
}

/** For `settleBatch`'s `rethrow`: a crash is no image's fault. */
export const isWorkerCrash = (e: unknown): boolean => e instanceof WorkerCrashError;
