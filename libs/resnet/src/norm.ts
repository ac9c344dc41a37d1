import { BatchNorm2d, ChannelAffine, FrozenBatchNorm2d, Layer } from '@resdet/nn';

/** A per-channel normalisation layer over NHWC: BatchNorm2d, FrozenBatchNorm2d, or anything alike. */
export type NormLayer = Layer & Partial<ChannelAffine>;

/** Builds the norm layer for `channels` channels (torchvision's `norm_layer`). */
export type NormFactory = (channels: number) => NormLayer;

/** torchvision's default `norm_layer=nn.BatchNorm2d`. */
export const batchNorm: NormFactory = (c) => new BatchNorm2d(c);

/** `norm_layer=misc_nn_ops.FrozenBatchNorm2d`, as torchvision's detection backbones use. */
export const frozenBatchNorm: NormFactory = (c) => new FrozenBatchNorm2d(c);

/** `'batch' | 'frozen'` or a factory → factory. */
export function resolveNorm(norm: 'batch' | 'frozen' | NormFactory | undefined): NormFactory {
  if (norm === undefined || norm === 'batch') return batchNorm;
  if (norm === 'frozen') return frozenBatchNorm;
  if (typeof norm === 'function') return norm;
  throw new Error(`resnet: norm must be 'batch', 'frozen' or a factory, got ${JSON.stringify(norm)}`);
}
