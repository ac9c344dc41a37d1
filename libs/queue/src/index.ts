/**
 * @resdet/queue — detection spread over machines: BullMQ jobs on Redis carry chunks of image paths (on
 * storage every worker sees); workers run the shared detect job and record each image once in a per-run
 * store; submitters follow a run's event stream. It owns no model code (that is @resdet/inference) and no
 * CLI or HTTP (apps/).
 */
export * from './queue-url';
export * from './detect-task';
export * from './model-ref';
export * from './model-cache';
export * from './run-store';
export * from './detect-runs';
export * from './detect-worker';
