import { Rng } from '@resdet/random';
import {
  BalancedPositiveNegativeSampler,
  buildFasterRcnn,
  type FasterRcnnConfig,
  type GeneralizedRCNN,
} from '@resdet/detection';

/** The sampler generators of a training detector, checkpointed by these names. */
export type SamplerRngs = {
  rpnSampler: Rng;
  boxSampler: Rng;
};

/**
 * A Faster R-CNN for training: its RPN and box-head samplers draw from generators of their own, derived from
 * `config.seed`, that a checkpoint saves and a data-parallel replica sets per shard.
 */
export function buildTrainingDetector(config: Readonly<FasterRcnnConfig>): {
  model: GeneralizedRCNN;
  rngs: SamplerRngs;
} {
  const rngs: SamplerRngs = {
    rpnSampler: new Rng(config.seed).fork(105),
    boxSampler: new Rng(config.seed).fork(107),
  };
  const model = buildFasterRcnn(config, {
    rpnSampler: new BalancedPositiveNegativeSampler(
      config.rpnBatchSizePerImage,
      config.rpnPositiveFraction,
      rngs.rpnSampler,
    ),
    boxSampler: new BalancedPositiveNegativeSampler(
      config.boxBatchSizePerImage,
      config.boxPositiveFraction,
      rngs.boxSampler,
    ),
  });
  return { model, rngs };
}
