import type { BlockKind } from './resnet';

/**
 * torchvision's ImageNet ResNets by depth: block type and blocks per stage. The named architectures
 * (ResNeXt and Wide variants included) and the detection backbones both read their stage counts from here.
 */
export const RESNET_LAYERS = {
  18: { block: 'basic', layers: [2, 2, 2, 2] },
  34: { block: 'basic', layers: [3, 4, 6, 3] },
  50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
  101: { block: 'bottleneck', layers: [3, 4, 23, 3] },
  152: { block: 'bottleneck', layers: [3, 8, 36, 3] },
} as const satisfies Record<number, { block: BlockKind; layers: readonly [number, number, number, number] }>;

/** A depth torchvision builds (`resnet18` … `resnet152`). */
export type ResNetDepth = keyof typeof RESNET_LAYERS;

export const RESNET_DEPTHS = Object.keys(RESNET_LAYERS).map(Number) as ResNetDepth[];
