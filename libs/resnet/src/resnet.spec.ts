import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildResNet, ResNet, RESNET_ARCHS } from './index';

describe('ResNet (torchvision structure)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('uses torchvision key names and counts (resnet18: 62 params + BN buffers; downsample.0/1; fc)', () => {
    const net = buildResNet('resnet18', { skipInit: true });
    const params = net.namedParameters();
    const buffers = net.namedBuffers();
    expect(params.length + buffers.length).toBe(122); // torchvision resnet18().state_dict() has 122 entries
    expect(params.reduce((s, [, v]) => s + v.size, 0)).toBe(11689512); // torchvision: 11,689,512
    net.dispose();
    const narrow = new ResNet('basic', [2, 2, 2, 2], { baseChannels: 4, skipInit: true });
    const keys = [...narrow.stateDict().keys()];
    expect(keys.slice(0, 7)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'bn1.num_batches_tracked',
      'layer1.0.conv1.weight',
    ]);
    expect(keys).toContain('layer2.0.downsample.0.weight');
    expect(keys).toContain('layer4.1.bn2.running_var');
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    narrow.dispose();
  });

  it('reports C2–C5 channels and shapes, and trainable layers like resnet_fpn_backbone', () => {
    const net = new ResNet('bottleneck', [1, 1, 1, 1], {
      baseChannels: 4,
      includeTop: false,
      norm: 'frozen',
      trainableLayers: 3,
    });
    expect(net.stageChannels()).toEqual({ layer1: 16, layer2: 32, layer3: 64, layer4: 128 });
    const shapes = net.outputShapes(1, 45, 61);
    const feats = net.features(tf.zeros([1, 45, 61, 3]));
    for (const k of ['layer1', 'layer2', 'layer3', 'layer4'] as const)
      expect(feats[k]!.shape).toEqual(shapes[k]);
    tf.dispose(Object.values(feats));
    const trainable = net.trainableParameters().map(([n]) => n);
    expect(trainable.some((n) => n.startsWith('layer1.'))).toBe(false);
    expect(trainable.some((n) => n.startsWith('layer2.'))).toBe(true);
    expect(
      [...net.stateDict().keys()].some((k) => k.startsWith('fc.') || k.endsWith('num_batches_tracked')),
    ).toBe(false);
    expect(() => net.forward(tf.zeros([1, 32, 32, 3]))).toThrow(/includeTop=false/);
    net.dispose();
  });

  it('zero-inits residual BN γ and rejects unknown archs listing valid names', () => {
    const net = new ResNet('basic', [1, 1, 1, 1], { baseChannels: 4, zeroInitResidual: true });
    const w = net.stateDict().get('layer1.0.bn2.weight')!.data as Float32Array;
    expect(Array.from(w).every((v) => v === 0)).toBe(true);
    net.dispose();
    expect(() => buildResNet('resnet19')).toThrow(
      /valid: resnet18, resnet34, resnet50, resnet101, resnet152/,
    );
    expect(RESNET_ARCHS).toContain('resnext50_32x4d');
  });
});
