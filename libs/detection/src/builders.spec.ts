import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { initRuntime } from '@resdet/runtime';
import {
  buildDetector,
  FASTER_RCNN_ARCHS,
  fasterrcnnResnet18Fpn,
  fasterrcnnResnet50C4,
  fasterrcnnResnet50Fpn,
  fasterrcnnResnet50FpnV2,
  fasterrcnnShapesDemo,
  inferNumClasses,
  parseDetectorConfig,
} from './builders';
import { ConfigError } from './faster-rcnn.config';

const FIXTURES = join(__dirname, '../../../test/fixtures/detection');
const CONFIGS = join(__dirname, '../../../configs');
const keyList = (name: string) =>
  (
    JSON.parse(readFileSync(join(FIXTURES, `${name}.keys.json`), 'utf8')) as {
      keys: { key: string; shape: number[] }[];
    }
  ).keys;

const keysAndShapes = (m: { stateDict(): Map<string, { shape: number[] }> }) =>
  [...m.stateDict()].map(([key, v]) => ({ key, shape: v.shape }));

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

describe('Faster R-CNN builders', () => {
  it("fasterrcnnResnet50Fpn's state dict has exactly torchvision 0.14's fasterrcnn_resnet50_fpn keys, shapes and order", () => {
    // FrozenBatchNorm2d body: the layout of torchvision's COCO weights
    const model = fasterrcnnResnet50Fpn({}, { skipBackboneInit: true });
    expect(keysAndShapes(model)).toEqual(keyList('fasterrcnn_resnet50_fpn'));
    model.dispose();
    // BatchNorm2d body: what fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None) builds
    const bn = fasterrcnnResnet50Fpn(
      { backboneNorm: 'batch', trainableLayers: 5 },
      { skipBackboneInit: true },
    );
    expect(keysAndShapes(bn)).toEqual(keyList('fasterrcnn_resnet50_fpn.batchnorm'));
    bn.dispose();
  });

  it("fasterrcnnResnet50FpnV2's state dict has exactly torchvision 0.14's fasterrcnn_resnet50_fpn_v2 keys, shapes and order", () => {
    const model = fasterrcnnResnet50FpnV2({}, { skipBackboneInit: true });
    expect(keysAndShapes(model)).toEqual(keyList('fasterrcnn_resnet50_fpn_v2'));
    const sd = model.stateDict();
    expect(sd.has('backbone.fpn.inner_blocks.0.0.bias')).toBe(false); // the conv before a BatchNorm has no bias
    expect(sd.get('roi_heads.box_head.5.weight')!.shape).toEqual([1024, 12544]);
    // trainable_backbone_layers=3 as in torchvision: layer1 and the stem frozen, BatchNorm2d elsewhere trainable
    const trainable = model.trainableParameters().map(([n]) => n);
    expect(
      trainable.some((n) => n.startsWith('backbone.body.layer1.') || n.startsWith('backbone.body.bn1')),
    ).toBe(false);
    expect(trainable).toEqual(
      expect.arrayContaining([
        'backbone.body.layer2.0.bn1.weight',
        'backbone.fpn.layer_blocks.3.1.bias',
        'rpn.head.conv.1.0.weight',
        'roi_heads.box_head.3.1.weight',
      ]),
    );
    model.dispose();
  });

  it("fasterrcnnResnet18Fpn matches FasterRCNN(resnet_fpn_backbone('resnet18'))'s keys", () => {
    const model = fasterrcnnResnet18Fpn({}, { skipBackboneInit: true });
    expect(keysAndShapes(model)).toEqual(keyList('fasterrcnn_resnet18_fpn'));
    // torchvision's trainable_layers=3: layer2..layer4 train, conv1/layer1 frozen; FrozenBN has no parameters
    const trainable = model.trainableParameters().map(([n]) => n);
    expect(trainable.some((n) => n.startsWith('backbone.body.layer1.'))).toBe(false);
    expect(trainable).toContain('backbone.body.layer2.0.conv1.weight');
    expect(trainable).toContain('backbone.fpn.inner_blocks.0.0.weight');
    model.dispose();
  });

  it('fasterrcnnResnet50C4 puts C2–C4 under backbone.body and ResNet layer4 under roi_heads.box_head, C5-wide predictor', () => {
    // ResNet-50 block structure at a quarter of the width (the layout is what is checked; full width is slow)
    const model = fasterrcnnResnet50C4({ numClasses: 21, backboneWidth: 16 }, { skipBackboneInit: true });
    const sd = model.stateDict();
    const keys = [...sd.keys()];
    expect(keys.some((k) => k.startsWith('backbone.body.layer4'))).toBe(false);
    expect(keys.filter((k) => k.startsWith('backbone.body.layer3.')).length).toBeGreaterThan(0);
    expect(
      keys.filter((k) => k.startsWith('roi_heads.box_head.layer4.') && k.endsWith('conv1.weight')),
    ).toHaveLength(3);
    expect(sd.get('roi_heads.box_head.layer4.0.conv1.weight')!.shape).toEqual([128, 256, 1, 1]);
    expect(sd.get('rpn.head.cls_logits.weight')!.shape).toEqual([15, 256, 1, 1]);
    expect(sd.get('roi_heads.box_predictor.cls_score.weight')!.shape).toEqual([21, 512]);
    expect(inferNumClasses(sd)).toBe(21);
    model.dispose();
  });

  it('the C4 and demo detectors run predict and computeLosses end to end without leaking tensors', async () => {
    const img = tf.randomUniform([64, 80, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const target = { boxes: Float32Array.of(10, 12, 40, 50), labels: Int32Array.of(1) };
    const c4 = fasterrcnnResnet50C4({
      numClasses: 3,
      minSize: 64,
      maxSize: 96,
      backboneWidth: 8,
      backboneLayers: [1, 1, 1, 1],
    });
    const demo = fasterrcnnShapesDemo();
    for (const model of [c4, demo]) {
      model.eval();
      await model.predict([img]); // warm-up (folded-BN caches)
      const before = tf.memory().numTensors;
      const [dets] = await model.predict([img]);
      expect(dets.boxes.length).toBe(4 * dets.scores.length);
      expect(tf.memory().numTensors).toBe(before);
      model.train();
      const grads = tf.variableGrads(() => {
        const l = model.computeLosses([img], [target]);
        return tf.addN(Object.values(l)) as tf.Scalar;
      });
      expect(Number.isFinite(grads.value.dataSync()[0])).toBe(true);
      expect(Object.keys(grads.grads).length).toBe(model.trainableParameters().length);
      grads.value.dispose();
      tf.dispose(Object.values(grads.grads));
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }
    img.dispose();
  });

  it('maps architecture names to builders in one switch that lists the valid names', () => {
    expect(() => buildDetector('fasterrcnn_vgg16')).toThrow(
      `unknown arch "fasterrcnn_vgg16"; valid: ${FASTER_RCNN_ARCHS.join(', ')}`,
    );
    expect(() =>
      buildDetector('fasterrcnn_resnet18_fpn', { rpnAnchorSizes: [[32]], rpnAspectRatios: [[1]] }),
    ).toThrow(/rpnAnchorSizes has 1 levels but the fpn backbone gives 5 feature maps/);
    expect(() => buildDetector('fasterrcnn_resnet50_c4', { fpnNorm: 'batch' })).toThrow(
      'fpnNorm and boxHeadConvLayers apply to the FPN head only (head: "c4" has neither)',
    );
  });

  it('infers the number of classes from the predictor, naming the key when it is missing', () => {
    const sd = new Map([
      [
        'roi_heads.box_predictor.cls_score.weight',
        { dtype: 'float32' as const, shape: [91, 1024], data: new Float32Array(0) },
      ],
    ]);
    expect(inferNumClasses(sd)).toBe(91);
    expect(() => inferNumClasses(new Map(), 'x.pth')).toThrow(
      /x.pth: no roi_heads.box_predictor.cls_score.weight/,
    );
  });

  it('every configs/*.json parses, and COCO configs carry the 91 torchvision category names', () => {
    for (const file of readdirSync(CONFIGS).filter((f) => f.endsWith('.json'))) {
      const parsed = parseDetectorConfig(
        JSON.parse(readFileSync(join(CONFIGS, file), 'utf8')),
        `configs/${file}`,
      );
      expect(parsed.classes).toHaveLength(parsed.config.numClasses);
      expect(parsed.classes![0]).toBe('__background__');
    }
    const coco = parseDetectorConfig(
      JSON.parse(readFileSync(join(CONFIGS, 'fasterrcnn_resnet50_fpn.json'), 'utf8')),
      'r50',
    );
    expect(coco.classes!.slice(0, 4)).toEqual(['__background__', 'person', 'bicycle', 'car']);
    expect(coco.classes![12]).toBe('N/A');
    expect(coco.classes![90]).toBe('toothbrush');
    expect(() =>
      parseDetectorConfig(
        { arch: 'fasterrcnn_resnet50_fpn', model: { numClasses: 3 }, classes: ['a'] },
        'c.json',
      ),
    ).toThrow('c.json: classes has 1 names but model.numClasses is 3 (background included)');
    expect(() => parseDetectorConfig({ arch: 'x' }, 'c.json')).toThrow(ConfigError);
  });
});
