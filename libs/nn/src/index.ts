/**
 * @resdet/nn — a small torch-like module system on tfjs: Module (named parameters/buffers, train/eval,
 * torchvision-named state dicts) and the layers ResNet and Faster R-CNN are built from. NHWC inside;
 * torch layouts only at the state-dict boundary. It owns no model architecture.
 */
export * from './host-tensor';
export * from './module';
export * from './random';
