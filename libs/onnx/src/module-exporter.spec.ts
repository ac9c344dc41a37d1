/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * The exporter against tfjs on the same module objects: ResNet bodies (BasicBlock/Bottleneck, BatchNorm2d in eval
 * mode and FrozenBatchNorm2d with random statistics, odd input sizes) run in onnxruntime-node and in tfjs-wasm.
 * Tolerance: max |Δ| ≤ 1e-4 · max |activation| (float32 with different summation orders).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initRuntime } from '@resdet/runtime';
import { Rng } from '@resdet/random';
import { ResNet, STAGE_NAMES } from '@resdet/resnet';
import { GraphBuilder } from './graph-builder';
import { ModuleExporter } from './module-exporter';
import { OnnxCodec, OnnxDataType } from './onnx-proto';
import { maxAbs, nhwcToNchw, randomizeNorms } from './testing';
import { maxAbsDiff } from '../../../test/support/max-abs-diff';

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

async function runOnnx(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('ModuleExporter: ResNet bodies vs tfjs', () => {
  const cases = [
    { block: 'basic' as const, norm: 'frozen' as const, h: 45, w: 61 },
    { block: 'bottleneck' as const, norm: 'batch' as const, h: 64, w: 40 },
  ];
  it.each(cases)(
    '$block blocks, $norm norm, $h×$w input: C2–C5 and logits match',
    async ({ block, norm, h, w }) => {
      const net = new ResNet(block, [1, 2, 1, 1], { norm, baseChannels: 8, numClasses: 10, rng: new Rng(3) });
      randomizeNorms(net);
      net.eval();
      const g = new GraphBuilder('resnet');
      const ex = new ModuleExporter(g, net);
      const x = g.input('images', OnnxDataType.FLOAT, ['N', 3, 'H', 'W']);
      const feats = ex.resnetFeatures(net, x);
      STAGE_NAMES.forEach((s) => g.output(feats[s]!, s, OnnxDataType.FLOAT, ['N', 'C', 'h', 'w']));
      g.output(ex.resnetLogits(net, x), 'logits', OnnxDataType.FLOAT, ['N', 10]);
      const bytes = new OnnxCodec().encode({ graph: g.build() });

      const input = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const out = await runOnnx(bytes, {
        images: new ort.Tensor('float32', nhwcToNchw(input), [2, 3, h, w]),
      });
      const ref = net.features(input);
      for (const s of STAGE_NAMES) {
        const r = ref[s]!;
        expect(out[s].dims).toEqual([r.shape[0], r.shape[3], r.shape[1], r.shape[2]]);
        const want = nhwcToNchw(r);
        expect(maxAbsDiff(out[s].data as Float32Array, want)).toBeLessThanOrEqual(1e-4 * maxAbs(want));
      }
      const logits = net.forward(input);
      const lw = logits.dataSync();
      expect(maxAbsDiff(out.logits.data as Float32Array, lw)).toBeLessThanOrEqual(1e-4 * maxAbs(lw));
      tf.dispose([input, logits, ...Object.values(ref)]);
      net.dispose();
    },
  );

  it('writes each folded conv once with the torchvision name', () => {
    const net = new ResNet('basic', [1, 1, 1, 1], { norm: 'frozen', baseChannels: 4, includeTop: false });
    const g = new GraphBuilder('resnet');
    const ex = new ModuleExporter(g, net, 'backbone.body');
    const x = g.input('images', OnnxDataType.FLOAT, ['N', 3, 'H', 'W']);
    g.output(ex.resnetFeatures(net, x).layer4!, 'c5', OnnxDataType.FLOAT, ['N', 32, 'h', 'w']);
    const model = new OnnxCodec().decode(new OnnxCodec().encode({ graph: g.build() }));
    const inits = model.graph.initializer.map((t) => t.name);
    expect(inits).toContain('backbone.body.conv1.weight');
    expect(inits).toContain('backbone.body.conv1.bias'); // the folded FrozenBatchNorm2d shift
    expect(inits).toContain('backbone.body.layer2.0.downsample.0.weight');
    expect(new Set(inits).size).toBe(inits.length);
    // 8 convs + 3 downsample convs, each with a folded bias; no BatchNormalization nodes
    expect(model.graph.node.filter((n) => n.opType === 'Conv')).toHaveLength(1 + 8 + 3);
    expect(model.graph.node.some((n) => n.opType === 'BatchNormalization' || n.opType === 'Mul')).toBe(false);
    net.dispose();
  });
});
