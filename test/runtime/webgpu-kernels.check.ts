/**
 * Child process for webgpu-kernels.spec.ts: runs resdet's WGSL kernels on the webgpu backend (Dawn's software
 * adapter: OpenGL ES on Mesa llvmpipe) and their references on cpu, prints one JSON line of relative errors.
 * A separate process for the reasons in webgpu-software.check.ts (Mesa reads the real environment; Dawn's
 * threads must not outlive the test).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  initRuntime,
  planSplitK,
  TILING_64,
  webgpuKernelActive,
  webgpuWeightedGather,
  webgpuWeightedScatter,
  WEBGPU_KERNEL_NAMES,
} from '@resdet/runtime';
import { GatherPlan, weightedGather } from '@resdet/detection';

/** Deterministic uniform [-1, 1) values. */
function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

/** A small seeded integer generator for shapes and indices. */
function intRng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * n);
  };
}

/** max|a − b| / max(1, max|b|). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  let m = 1;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return Number.isFinite(e) ? e / m : Infinity;
}

async function on(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  const t = tf.tidy(f);
  const v = Float32Array.from(await t.data());
  t.dispose();
  return v;
}

type Pad = 'same' | 'valid' | number;
interface FilterCase {
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride: [number, number];
  pad: Pad;
}

/** Hand-picked cases (1×1, 3×3/2 'same', 7×7/2 pad 3, a split-K > 1 one) plus seeded random ones. */
function filterCases(): FilterCase[] {
  const cases: FilterCase[] = [
    { x: [1, 8, 8, 3], k: [3, 3], cout: 4, stride: [2, 2], pad: 'same' },
    { x: [2, 7, 9, 5], k: [1, 1], cout: 6, stride: [1, 1], pad: 'valid' },
    { x: [1, 15, 13, 3], k: [7, 7], cout: 9, stride: [2, 2], pad: 3 },
    { x: [2, 18, 18, 6], k: [3, 3], cout: 33, stride: [1, 1], pad: 1 }, // K = 648: split-K
    { x: [1, 9, 11, 35], k: [3, 1], cout: 7, stride: [1, 2], pad: 'valid' },
  ];
  const r = intRng(42);
  const pads: Pad[] = ['same', 'valid', 0, 1, 2];
  for (let i = 0; i < 4; i++) {
    const kh = 1 + r(3);
    const kw = 1 + r(3);
    cases.push({
      x: [1 + r(2), kh + 2 + r(8), kw + 2 + r(8), 1 + r(12)],
      k: [kh, kw],
      cout: 1 + r(20),
      stride: [1 + r(2), 1 + r(2)],
      pad: pads[r(pads.length)],
    });
  }
  return cases;
}

function filterGradOnce(c: FilterCase, x: Float32Array, dyData: Float32Array, dyShape: number[]): tf.Tensor {
  return tf
    .engine()
    .runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, c.x), dy: tf.tensor(dyData, dyShape) }, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: 'NHWC',
      filterShape: [c.k[0], c.k[1], c.x[3], c.cout],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Plain-JS references for the weighted gather (float64 sums). */
function gatherRef(f: Float32Array, c: number, idx: Int32Array, w: Float32Array, k: number): Float64Array {
  const rows = idx.length / k;
  const out = new Float64Array(rows * c);
  for (let r = 0; r < rows; r++)
    for (let j = r * k; j < (r + 1) * k; j++)
      for (let ch = 0; ch < c; ch++) out[r * c + ch] += w[j] * f[idx[j] * c + ch];
  return out;
}
function scatterRef(
  dy: Float32Array,
  c: number,
  idx: Int32Array,
  w: Float32Array,
  k: number,
  segments: number,
): Float64Array {
  const out = new Float64Array(segments * c);
  for (let e = 0; e < idx.length; e++) {
    const r = Math.floor(e / k);
    for (let ch = 0; ch < c; ch++) out[idx[e] * c + ch] += w[e] * dy[r * c + ch];
  }
  return out;
}

async function main(): Promise<void> {
  const logs: string[] = [];
  await initRuntime({ backend: 'webgpu', webgpuSoftware: true, env: process.env, log: (m) => logs.push(m) });
  const active = Object.fromEntries(WEBGPU_KERNEL_NAMES.map((n) => [n, webgpuKernelActive(n)]));
  const errors: Record<string, number> = {};
  const splits: number[] = [];

  const cases = filterCases();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const conv = tf.backend_util.computeConv2DInfo(c.x, [c.k[0], c.k[1], c.x[3], c.cout], c.stride, 1, c.pad);
    // the software adapter is at the compatibility level (≤ 128 invocations): the kernel uses TILING_64
    splits.push(
      planSplitK(c.k[0] * c.k[1] * c.x[3], c.cout, conv.batchSize * conv.outHeight * conv.outWidth, TILING_64)
        .splits,
    );
    const x = seeded(
      c.x.reduce((a, b) => a * b),
      10 + i,
    );
    const dyShape = [conv.batchSize, conv.outHeight, conv.outWidth, c.cout];
    const dy = seeded(
      dyShape.reduce((a, b) => a * b),
      100 + i,
    );
    const f = (): tf.Tensor => filterGradOnce(c, x, dy, dyShape);
    errors[`filterGrad${i}`] = relErr(await on('webgpu', f), await on('cpu', f));
  }

  // Weighted gather: R rows of k entries into a [S, C] map, some zero (padding) weights, repeated indices.
  const r = intRng(7);
  for (const [i, [segments, c, rows, k]] of [
    [37, 5, 11, 4],
    [120, 16, 40, 8],
    [9, 3, 25, 2],
  ].entries()) {
    const f = seeded(segments * c, 200 + i);
    const idx = Int32Array.from({ length: rows * k }, () => r(segments));
    const w = seeded(rows * k, 300 + i).map((v, j) => (j % 5 === 3 ? 0 : v));
    const dy = seeded(rows * c, 400 + i);
    await tf.setBackend('webgpu');
    const fwd = tf.tidy(() => webgpuWeightedGather(tf.tensor2d(f, [segments, c]), idx, w, k));
    errors[`gather${i}`] = relErr(await fwd.data(), gatherRef(f, c, idx, w, k));
    const bwd = tf.tidy(() => webgpuWeightedScatter(tf.tensor2d(dy, [rows, c]), idx, w, k, segments));
    errors[`scatter${i}`] = relErr(await bwd.data(), scatterRef(dy, c, idx, w, k, segments));
    tf.dispose([fwd, bwd]);
  }
  // detection's weightedGather (RoIAlign's core) with its gradient: webgpu (resdet kernels) vs cpu (host loops).
  const maps: [number, number, number, number][] = [
    [2, 6, 5, 4],
    [2, 3, 3, 4],
  ];
  const plan: GatherPlan = {
    numRows: 7,
    levels: [
      {
        rows: Int32Array.from([0, 3, 5, 6]),
        idx: Int32Array.from({ length: 16 }, () => r(60)),
        w: seeded(16, 500),
        k: 4,
      },
      {
        rows: Int32Array.from([1, 2, 4]),
        idx: Int32Array.from({ length: 12 }, () => r(18)),
        w: seeded(12, 501),
        k: 4,
      },
    ],
  };
  const feats = maps.map((s, l) =>
    seeded(
      s.reduce((a, b) => a * b),
      600 + l,
    ),
  );
  const head = seeded(7 * 4, 700);
  const wg = (): tf.Tensor => {
    const xs = maps.map((s, l) => tf.tensor4d(feats[l], s));
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(weightedGather([a as tf.Tensor4D, b as tf.Tensor4D], plan), tf.tensor2d(head, [7, 4]))),
    );
    const [da, db] = g(xs);
    return tf.concat([
      tf.reshape(weightedGather(xs, plan), [-1]),
      tf.reshape(da, [-1]),
      tf.reshape(db, [-1]),
    ]);
  };
  errors.detectionWeightedGather = relErr(await on('webgpu', wg), await on('cpu', wg));
  process.stdout.write(JSON.stringify({ log: logs[0], active, splits, errors }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stdout.write(JSON.stringify({ error: e.stack ?? e.message }) + '\n');
    process.exit(1);
  },
);
