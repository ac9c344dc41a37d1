import * as tf from '@tensorflow/tfjs-core';
import * as path from 'path';
import { initRuntime } from '@resdet/runtime';
import { readSafetensors, readStateDict } from '@resdet/checkpoint';
import { HostTensor } from '@resdet/nn';
import { ResNet, STAGE_NAMES } from '@resdet/resnet';

/**
 * Parity with torchvision 0.14 (torch 1.13) on narrow ResNets built from torchvision's own blocks
 * (fixtures and weights: test/fixtures/resnet/, made by tools/resnet/make_fixtures.py). Weights load
 * from zip (fp32 and fp16), legacy .pth, fp16 safetensors, a float-only safetensors and a wrapped
 * DataParallel checkpoint. Tolerance: max|Δ| ≤ 1e-4·max|ref| for
 * logits and for each of layer1..layer4 (C2–C5).
 */
const DIR = path.join(__dirname, '../fixtures/resnet');

interface Net {
  io: string;
  weights: string[];
  build: () => ResNet;
}

const NETS: Record<string, Net> = {
  r18n: {
    io: 'r18n-io.safetensors',
    // float-only safetensors (no num_batches_tracked) and a {"model": {"module.…": fp16}} DataParallel
    // checkpoint: both load in torch with load_state_dict(strict=True) (tools/resnet/make_state_dict_variants.py)
    weights: ['r18n.pth', 'r18n-fp16.pth', 'r18n-float-only.safetensors', 'r18n-ddp-wrapped.pth'],
    build: () => new ResNet('basic', [2, 2, 2, 2], { baseChannels: 8, numClasses: 10, skipInit: true }),
  },
  r50n: {
    io: 'r50n-io.safetensors',
    weights: ['r50n-legacy.pth', 'r50n-fp16.safetensors'],
    build: () => new ResNet('bottleneck', [3, 4, 6, 3], { baseChannels: 4, numClasses: 10, skipInit: true }),
  },
};

function relErr(t: tf.Tensor, ref: HostTensor): number {
  const d = t.dataSync();
  const r = ref.data as Float32Array;
  expect(Array.from(t.shape)).toEqual(ref.shape);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < r.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(r[i]));
    maxDiff = Math.max(maxDiff, Math.abs(r[i] - d[i]));
  }
  return maxDiff / maxRef;
}

describe('ResNet parity with torchvision (narrow nets)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm' });
  });

  for (const [name, net] of Object.entries(NETS)) {
    for (const file of net.weights) {
      it(`${name} from ${file}: logits and C2–C5 within 1e-4·max|ref|`, () => {
        const io = readSafetensors(path.join(DIR, net.io)).tensors;
        const start = tf.memory().numTensors;
        const model = net.build();
        model.loadStateDict(readStateDict(path.join(DIR, file)));
        model.eval();
        const x = tf.tensor(io.get('input')!.data as Float32Array, io.get('input')!.shape);
        const logits = model.forward(x);
        expect(relErr(logits, io.get('logits')!)).toBeLessThan(1e-4);
        const feats = model.features(x);
        for (const s of STAGE_NAMES) expect(relErr(feats[s]!, io.get(s)!)).toBeLessThan(1e-4);
        tf.dispose([logits, ...Object.values(feats)]);
        const cached = tf.memory().numTensors; // the first pass cached folded conv+BN weights
        // a second pass (cached folded weights) gives the same logits and leaks nothing
        const again = model.forward(x);
        expect(relErr(again, io.get('logits')!)).toBeLessThan(1e-4);
        again.dispose();
        expect(tf.memory().numTensors).toBe(cached);
        x.dispose();
        model.dispose();
        expect(tf.memory().numTensors).toBe(start);
      });
    }
  }

  it('r18n with FrozenBatchNorm2d (torchvision detection style, no num_batches_tracked) gives the same logits', () => {
    const io = readSafetensors(path.join(DIR, 'r18n-io.safetensors')).tensors;
    const sd = readStateDict(path.join(DIR, 'r18n.pth'));
    for (const k of [...sd.keys()]) if (k.endsWith('num_batches_tracked')) sd.delete(k);
    const model = new ResNet('basic', [2, 2, 2, 2], {
      baseChannels: 8,
      numClasses: 10,
      norm: 'frozen',
      skipInit: true,
    });
    model.loadStateDict(sd);
    const x = tf.tensor(io.get('input')!.data as Float32Array, io.get('input')!.shape);
    const logits = model.train().forward(x); // FrozenBN ignores train mode
    expect(relErr(logits, io.get('logits')!)).toBeLessThan(1e-4);
    tf.dispose([x, logits]);
    model.dispose();
  });
});
