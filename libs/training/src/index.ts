/**
 * @resdet/training — the training machinery: torch-exact SGD (momentum, weight decay, nesterov),
 * warm-up + multi-step LR schedule as a pure function of the iteration, clip_grad_norm_, the Trainer
 * loop (NaN/Inf stop, periodic checkpoints and evaluation, abort on SIGINT/SIGTERM, exact resume)
 * with a directory checkpoint store, a resumable adapter for per-epoch-deterministic loaders, the
 * `train` config with the torchvision reference defaults, loss history and loss-curve charts
 * (SVG → PNG). It owns no model, no data loader and no evaluator: those are injected through small
 * interfaces (`TrainableModel`, `BatchStream`, an `evaluate` callback).
 */
export * from './errors';
export * from './sgd';
export * from './lr-schedule';
export * from './grad-clip';
export * from './loss-history';
export * from './checkpoint-store';
export * from './trainer-ports';
export * from './trainer';
export * from './epoch-batch-stream';
export * from './training.config';
export * from './abort-on-signals';
export * from './line-chart-svg';
export * from './loss-curve';
export * from './wasm-fast-backprop';
export * from './class-transfer';
export * from './detector-init';
export * from './detection-training';
export * from './training-detector';
export * from './data-parallel';
