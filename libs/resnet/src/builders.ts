import { BlockKind, ResNet, ResNetOptions } from './resnet';
import { RESNET_LAYERS } from './resnet-layers';

/** torchvision's ImageNet ResNets: block type, blocks per stage and extra options. */
const ARCHS = {
  resnet18: RESNET_LAYERS[18],
  resnet34: RESNET_LAYERS[34],
  resnet50: RESNET_LAYERS[50],
  resnet101: RESNET_LAYERS[101],
  resnet152: RESNET_LAYERS[152],
  resnext50_32x4d: { ...RESNET_LAYERS[50], groups: 32, widthPerGroup: 4 },
  resnext101_32x8d: { ...RESNET_LAYERS[101], groups: 32, widthPerGroup: 8 },
  wide_resnet50_2: { ...RESNET_LAYERS[50], widthPerGroup: 128 },
  wide_resnet101_2: { ...RESNET_LAYERS[101], widthPerGroup: 128 },
} as const satisfies Record<
  string,
  { block: BlockKind; layers: readonly number[]; groups?: number; widthPerGroup?: number }
>;

export type ResNetArch = keyof typeof ARCHS;
export const RESNET_ARCHS = Object.keys(ARCHS) as ResNetArch[];

/**
 * Builds a torchvision ImageNet ResNet by name (`resnet18` … `resnet152`, `resnext50_32x4d`,
 * `wide_resnet50_2`, …). Throws listing the valid names for anything else.
 *
 * @example
 * const net = buildResNet('resnet50', { norm: 'frozen', includeTop: false, trainableLayers: 3 });
 */
export function buildResNet(arch: string, opts: ResNetOptions = {}): ResNet {
  const a = (ARCHS as Record<string, (typeof ARCHS)[ResNetArch]>)[arch];
  if (!a) throw new Error(`unknown ResNet arch "${arch}"; valid: ${RESNET_ARCHS.join(', ')}`);
  const extra =
    'groups' in a || 'widthPerGroup' in a
      ? { groups: (a as { groups?: number }).groups, widthPerGroup: a.widthPerGroup }
      : {};
  return new ResNet(a.block, [...a.layers] as [number, number, number, number], { ...extra, ...opts });
}

export const resnet18 = (opts: ResNetOptions = {}): ResNet => buildResNet('resnet18', opts);
export const resnet34 = (opts: ResNetOptions = {}): ResNet => buildResNet('resnet34', opts);
export const resnet50 = (opts: ResNetOptions = {}): ResNet => buildResNet('resnet50', opts);
export const resnet101 = (opts: ResNetOptions = {}): ResNet => buildResNet('resnet101', opts);
export const resnet152 = (opts: ResNetOptions = {}): ResNet => buildResNet('resnet152', opts);
