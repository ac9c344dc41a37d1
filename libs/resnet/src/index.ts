/**
 * @resdet/resnet — torchvision's ResNet family on @resdet/nn (BasicBlock, Bottleneck, ResNet-18…152,
 * ResNeXt/Wide variants, torchvision state-dict names) returning logits or C2–C5 features, plus the
 * paper's CIFAR ResNets and plain nets. It owns architectures only: no checkpoint I/O, no image I/O.
 */
export * from './norm';
export * from './conv-norm';
export * from './basic-block';
export * from './bottleneck';
export * from './downsample';
export * from './resnet';
export * from './resnet-layers';
export * from './builders';
export * from './classify-preprocess';
export * from './cifar-resnet';
