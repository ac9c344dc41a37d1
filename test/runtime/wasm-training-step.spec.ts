import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initRuntime } from '@resdet/runtime';

/**
 * A training step of a small detector-shaped network through tf.variableGrads on wasm, compared with cpu.
 * It touches every op family a ResNet + FPN + Faster R-CNN step uses: stem conv 7×7/2 with explicit padding,
 * batch-norm with batch statistics, ReLU, max-pool with -inf padding, 3×3 and 1×1 convs (stride 1 and 2), fused
 * conv + bias + ReLU, FPN nearest upsampling + add, bilinear resize, gather-based RoIAlign-style bilinear sampling
 * (gather's gradient = UnsortedSegmentSum), gatherND, stridedSlice, TopK-selected proposals, matmul, softmax
 * cross-entropy, sigmoid BCE, smooth-L1 (abs / where / less), concat, slice, pad.
 * Tolerance: every gradient within GRAD_RTOL · max(1, max|cpu grad|) of cpu; loss within 1e-5 relative.
 */
const GRAD_RTOL = 1e-4;

function seeded(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = ((s / 2147483648) * 2 - 1) * scale;
  }
  return out;
}

const SHAPES: Record<string, number[]> = {
  stem: [7, 7, 3, 8],
  gamma: [8],
  beta: [8],
  c3: [3, 3, 8, 8],
  down: [3, 3, 8, 16],
  proj: [1, 1, 8, 16],
  lat: [1, 1, 16, 8],
  fpnBias: [8],
  fc: [8 * 2 * 2, 6],
  cls: [6, 3],
  box: [6, 4],
  obj: [1, 1, 8, 1],
};

function step(v: Record<string, tf.Variable>, image: tf.Tensor4D): tf.Scalar {
  const conv = (x: tf.Tensor4D, w: string, s: number, p: 'same' | 'valid' | number) =>
    tf.conv2d(x, v[w] as tf.Tensor4D, s, p);
  // Stem + BN (batch statistics) + ReLU + max-pool padded with -inf (torch semantics).
  let x = tf.conv2d(image, v.stem as tf.Tensor4D, 2, [
    [0, 0],
    [3, 3],
    [3, 3],
    [0, 0],
  ]);
  const m = tf.moments(x, [0, 1, 2]);
  // ReLU then max-pool as in ResNet: all-zero windows are ties, which both backends give to the first maximum.
  x = tf.relu(tf.batchNorm(x, m.mean, m.variance, v.beta, v.gamma, 1e-5)) as tf.Tensor4D;
  x = tf.maxPool(
    tf.pad(
      x,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      -Infinity,
    ),
    3,
    2,
    'valid',
  );
  // Basic block (identity) and a downsampling block with a 1×1 projection.
  const c2 = tf.relu(tf.add(x, conv(tf.relu(conv(x, 'c3', 1, 'same')), 'c3', 1, 'same'))) as tf.Tensor4D;
  const c3 = tf.relu(tf.add(conv(c2, 'down', 2, 'same'), conv(c2, 'proj', 2, 'valid'))) as tf.Tensor4D;
  // FPN: lateral fused conv + bias + ReLU, nearest upsampling, add; a bilinear resize of the sum.
  const p3 = tf.fused.conv2d({
    x: c3,
    filter: v.lat as tf.Tensor4D,
    strides: 1,
    pad: 'valid',
    bias: v.fpnBias,
    activation: 'relu',
  });
  const up = tf.image.resizeNearestNeighbor(p3, [c2.shape[1], c2.shape[2]]);
  const p2 = tf.image.resizeBilinear(tf.add(up, c2) as tf.Tensor4D, [6, 6]);
  // RPN-like objectness on P2, top-k "proposals" (indices only), gathered with gather (→ UnsortedSegmentSum).
  const obj = tf.reshape(conv(p2, 'obj', 1, 'valid'), [2, -1]);
  const top = tf.topk(obj, 3).indices;
  const flat = tf.reshape(p2, [2 * 36, 8]);
  const rows = tf.add(top, tf.reshape(tf.tensor1d([0, 36], 'int32'), [2, 1]));
  // RoIAlign-style: bilinear mix of 4 gathered neighbours per sample point, 2×2 samples per RoI.
  const nb = [0, 1, 6, 7].map((o) =>
    tf.gather(
      flat,
      tf.minimum(tf.add(tf.reshape(rows, [-1]), tf.scalar(o, 'int32')), tf.scalar(71, 'int32')),
    ),
  );
  const wts = [0.4, 0.1, 0.3, 0.2];
  const pooled = nb.reduce((acc, t, i) => tf.add(acc, tf.mul(t, wts[i])), tf.zeros([6, 8]) as tf.Tensor);
  const roi = tf.reshape(
    tf.concat([pooled, tf.slice(pooled, [0, 0], [6, 8]), tf.reverse(pooled, 0), pooled], 1),
    [6, 32],
  );
  const h = tf.relu(tf.matMul(roi, v.fc));
  // Heads: softmax CE, smooth-L1 on boxes, sigmoid BCE on objectness; gatherND + stridedSlice picks.
  const logits = tf.matMul(h, v.cls);
  const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2], 'int32'), 3), logits);
  const d = tf.abs(tf.sub(tf.matMul(h, v.box), 0.1));
  const beta = 1 / 9;
  const sl1 = tf.mean(
    tf.where(tf.less(d, beta), tf.div(tf.mul(tf.square(d), 0.5), beta), tf.sub(d, 0.5 * beta)),
  );
  const bce = tf.losses.sigmoidCrossEntropy(
    tf.cast(tf.greater(tf.stridedSlice(obj, [0, 0], [2, 36], [1, 3]), 0), 'float32'),
    tf.stridedSlice(obj, [0, 0], [2, 36], [1, 3]),
  );
  const picked = tf.sum(
    tf.gatherND(
      p2,
      tf.tensor2d(
        [
          [0, 1, 2],
          [1, 3, 3],
        ],
        [2, 3],
        'int32',
      ),
    ),
  );
  return tf.addN([ce, sl1, bce, tf.mul(picked, 1e-3)]) as tf.Scalar;
}

async function gradsOn(
  backend: string,
  tag = backend,
): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  const vars: Record<string, tf.Variable> = {};
  tf.tidy(() =>
    Object.entries(SHAPES).forEach(([k, s], i) => {
      const n = s.reduce((a, b) => a * b);
      const init = k === 'gamma' ? new Float32Array(n).fill(1) : seeded(n, 10 + i, 0.3);
      vars[k] = tf.variable(tf.tensor(init, s), true, `${tag}.${k}`);
    }),
  );
  const image = tf.tensor4d(seeded(2 * 24 * 24 * 3, 1), [2, 24, 24, 3]);
  const { value, grads } = tf.variableGrads(() => step(vars, image));
  const out: Record<string, Float32Array> = {};
  for (const k of Object.keys(SHAPES)) out[k] = Float32Array.from(await grads[`${tag}.${k}`].data());
  const loss = (await value.data())[0];
  tf.dispose([value, image, ...Object.values(grads), ...Object.values(vars)]);
  return { loss, grads: out };
}

describe('training step on wasm matches cpu (all detector op families, through tf.variableGrads)', () => {
  beforeAll(async () => {
    expect(await initRuntime({ backend: 'wasm' })).toBe('wasm');
  });

  it(`gives the same loss and gradients within GRAD_RTOL = ${GRAD_RTOL}`, async () => {
    const wasm = await gradsOn('wasm');
    const cpu = await gradsOn('cpu');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.loss)));
    for (const k of Object.keys(SHAPES)) {
      let err = 0;
      let scale = 1;
      cpu.grads[k].forEach((c, i) => {
        err = Math.max(err, Math.abs(wasm.grads[k][i] - c));
        scale = Math.max(scale, Math.abs(c));
      });
      expect([k, err / scale]).toEqual([k, expect.any(Number)]);
      expect([k, err / scale <= GRAD_RTOL ? 'ok' : err / scale]).toEqual([k, 'ok']);
      // Every parameter is on the path: a zero gradient would mean a silently broken kernel.
      expect([k, cpu.grads[k].some((g) => g !== 0)]).toEqual([k, true]);
    }
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    await gradsOn('wasm', 'again');
    expect(tf.memory().numTensors).toBe(before);
  });
});
