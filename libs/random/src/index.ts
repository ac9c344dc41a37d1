/**
 * @resdet/random — the seeded generator everything random in resdet draws from (weight init, samplers,
 * augmentation, shuffling, the shapes generator). No tensors and no dependencies, so data and nn can both
 * use it without depending on each other.
 */
export * from './rng';
