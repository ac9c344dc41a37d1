/**
 * @resdet/weights — named weights and where their files come from: the registry (torchvision's published
 * ResNets and Faster R-CNNs, the demo model, a user's own RESDET_REGISTRY file), the cache folder, verified
 * and resumable downloads, and `resolveWeights`, which turns any `--weights` / `--from` value into a local
 * file. It reads no tensors and no process.env: apps pass the environment in.
 */
export * from './weights-error';
export * from './package-root';
export * from './cache-dir';
export * from './verify';
export * from './registry';
export * from './user-registry';
export * from './download';
export * from './download-lock';
export * from './pull-weights';
export * from './resolve-weights';
