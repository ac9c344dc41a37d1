/**
 * @resdet/nn — a small torch-like module system on tfjs: Module (named parameters/buffers, train/eval,
 * torchvision-named state dicts) and the layers ResNet and Faster R-CNN are built from (Conv2d,
 * BatchNorm2d, FrozenBatchNorm2d, Linear, MaxPool2d, AdaptiveAvgPool2d, ReLU, Sequential, ModuleList) with torch's
 * and torchvision's initialisation. NHWC inside; torch layouts only at the state-dict boundary. It owns
 * no model architecture. Importing it registers tfjs gradients for every op.
 */
import { registerAllGradients } from './register-gradients';

registerAllGradients();

export * from './host-tensor';
export * from './module';
export * from '@resdet/random';
export * from './layouts';
export * from './channel-affine';
export * from './conv2d';
export * from './batch-norm2d';
export * from './frozen-batch-norm2d';
export * from './linear';
export * from './max-pool2d';
export * from './adaptive-avg-pool2d';
export * from './relu';
export * from './sequential';
export * from './module-list';
export * from './init-arrays';
export * from './init';
export { registerAllGradients } from './register-gradients';
