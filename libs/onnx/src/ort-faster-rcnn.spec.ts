/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * The onnxruntime engine against (a) resdet's tfjs path on the same module objects and (b) torchvision 0.14's
 * detections on test/fixtures/detection/tiny_frcnn.* and tiny_frcnn_v2.* (tools/detection/make_model_fixtures.py
 * and make_v2_model_fixtures.py, torch 1.13; v2 has BatchNorm in the FPN and a FastRCNNConvFCHead box head).
 * Rule: same class, IoU ≥ 0.99, |Δscore| ≤ 1e-3 for ≥ 99% of detections — loose enough for two runtimes'
 * float32 kernel orders to reorder near-ties. Measured here the engines agree much more closely (reported in the
 * assertions' bounds below).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { buildFasterRcnn, GeneralizedRCNN, resolveConfig } from '@resdet/detection';
import { HostImage, prepareBatch } from './host-transform';
import { OrtFasterRcnn } from './ort-faster-rcnn';
import { matchDetections, randomizeNorms } from './testing';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';
import {
  PARITY_FIXTURES,
  readParityFixture,
  type ParityFixtureName,
} from '../../../test/support/frcnn-parity-fixture';

function fixture(name: ParityFixtureName = 'tiny_frcnn') {
  const { config, weights, get } = readParityFixture(name);
  const model = (): GeneralizedRCNN => {
    const m = buildFasterRcnn(config);
    m.loadStateDict(weights);
    return m.eval();
  };
  const images = (): HostImage[] =>
    [0, 1].map((i) => {
      const t = get(`image.${i}`);
      return { data: Uint8Array.from(t.data as Uint8Array), height: t.shape[0], width: t.shape[1] };
    });
  return { get, model, images };
}

const tinyTorchvisionModel = () => fixture().model();
const fixtureImages = () => fixture().images();

/** The tfjs path on the same images (uint8 → /255 like the Detector facade). */
async function tfjsPredict(model: GeneralizedRCNN, images: HostImage[]) {
  const ts = images.map((im) =>
    tf.tidy(
      () =>
        tf.div(
          tf.cast(tf.tensor3d(Int32Array.from(im.data), [im.height, im.width, 3], 'int32'), 'float32'),
          255,
        ) as tf.Tensor3D,
    ),
  );
  try {
    return await model.predict(ts);
  } finally {
    tf.dispose(ts);
  }
}

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

describe('prepareBatch (host transform)', () => {
  it('is bit-identical to the tfjs GeneralizedRCNNTransform batch (NHWC → NCHW)', () => {
    const model = tinyTorchvisionModel();
    const images = fixtureImages();
    const ts = images.map(
      (im) =>
        tf.div(
          tf.cast(tf.tensor3d(Int32Array.from(im.data), [im.height, im.width, 3], 'int32'), 'float32'),
          255,
        ) as tf.Tensor3D,
    );
    const ref = model.transform.forward(ts);
    const t = model.transform;
    const b = prepareBatch(images, {
      minSize: t.minSize[0],
      maxSize: t.maxSize,
      imageMean: t.imageMean,
      imageStd: t.imageStd,
      sizeDivisible: t.sizeDivisible,
    });
    expect(b.imageSizes).toEqual(ref.imageSizes);
    const [n, h, w, c] = ref.tensors.shape;
    expect(b.dims).toEqual([n, c, h, w]);
    const nchw = tf.tidy(() => tf.transpose(ref.tensors, [0, 3, 1, 2]).dataSync());
    expect(maxAbsDiff(b.data, nchw)).toBe(0);
    tf.dispose([ref.tensors, ...ts]);
    model.dispose();
  });

  it('hand-worked case: 2×2 image, no resize, normalise and pad to 4', () => {
    const b = prepareBatch([{ data: Float32Array.from([0, 0.5, 1, 0.25]), height: 2, width: 2 }], {
      minSize: 2,
      maxSize: 2,
      imageMean: [0.5],
      imageStd: [0.5],
      sizeDivisible: 4,
    });
    expect(b.dims).toEqual([1, 1, 4, 4]);
    expect(Array.from(b.data)).toEqual([-1, 0, 0, 0, 1, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('OrtFasterRcnn', () => {
  it.each(PARITY_FIXTURES)('matches torchvision 0.14 on the %s fixture (and the tfjs path)', async (name) => {
    const { get, model: build, images: fixtureImgs } = fixture(name);
    const model = build();
    const engine = await OrtFasterRcnn.create(model);
    const images = fixtureImgs();
    const ours = await engine.predict(images);
    const tfjs = await tfjsPredict(model, images);
    for (const i of [0, 1]) {
      const theirs = {
        boxes: Float32Array.from(get(`eval.boxes.${i}`).data as Float32Array),
        scores: Float32Array.from(get(`eval.scores.${i}`).data as Float32Array),
        labels: Int32Array.from(get(`eval.labels.${i}`).data as Int32Array),
      };
      expect(theirs.scores.length).toBeGreaterThan(0);
      const vsTorch = matchDetections(ours[i], theirs);
      expect(vsTorch.fraction).toBeGreaterThanOrEqual(0.99);
      // in fact: every detection, boxes within 1e-2 px and scores within 1e-4 (the tfjs path's own torchvision tolerance)
      expect(vsTorch.fraction).toBe(1);
      expect(vsTorch.maxBoxDiff).toBeLessThan(1e-2);
      expect(vsTorch.maxScoreDiff).toBeLessThan(1e-4);
      const vsTfjs = matchDetections(ours[i], tfjs[i]);
      expect(vsTfjs.fraction).toBe(1);
      expect(vsTfjs.maxScoreDiff).toBeLessThan(1e-4);
      // the tfjs path against torchvision by the same rule
      const tfjsVsTorch = matchDetections(tfjs[i], theirs);
      expect(tfjsVsTorch.fraction).toBe(1);
      expect(tfjsVsTorch.maxBoxDiff).toBeLessThan(1e-2);
      expect(tfjsVsTorch.maxScoreDiff).toBeLessThan(1e-4);
    }
    await engine.release();
    model.dispose();
  });

  const variants = [
    {
      name: 'ResNet-18-FPN (BatchNorm2d eval stats)',
      head: 'fpn' as const,
      depth: 18 as const,
      norm: 'batch' as const,
    },
    {
      name: 'ResNet-50-C4 (layer4 box head, 14×14 adaptive RoIAlign)',
      head: 'c4' as const,
      depth: 50 as const,
      norm: 'frozen' as const,
    },
  ];
  it.each(variants)(
    'random-weight $name: ort detections match tfjs (same class, IoU ≥ 0.99, |Δscore| ≤ 1e-3)',
    async (v) => {
      const model = buildFasterRcnn(
        resolveConfig({
          ...(v.head === 'c4'
            ? {
                head: 'c4',
                rpnAnchorSizes: [[32, 64, 128, 256, 512]],
                rpnAspectRatios: [[0.5, 1, 2]],
                boxRoiPoolFeatmapNames: ['0'],
                boxRoiPoolOutputSize: 14,
                boxRoiPoolSamplingRatio: 0,
              }
            : {}),
          numClasses: 4,
          minSize: 96,
          maxSize: 128,
          backboneDepth: v.depth,
          backboneWidth: 8,
          backboneLayers: [1, 1, 1, 1],
          backboneNorm: v.norm,
          fpnOutChannels: 16,
          representationSize: 32,
          rpnPreNmsTopNTest: 300,
          rpnPostNmsTopNTest: 100,
          seed: 11,
        }),
      );
      randomizeNorms(model.backbone, 3);
      model.eval();
      const engine = await OrtFasterRcnn.create(model);
      const images = fixtureImages();
      const ours = await engine.predict(images);
      const tfjs = await tfjsPredict(model, images);
      let matched = 0;
      let total = 0;
      for (const i of [0, 1]) {
        const m = matchDetections(ours[i], tfjs[i]);
        matched += m.matched;
        total += m.total;
      }
      expect(total).toBeGreaterThan(10);
      expect(matched / total).toBeGreaterThanOrEqual(0.99);
      await engine.release();
      model.dispose();
    },
  );
});
