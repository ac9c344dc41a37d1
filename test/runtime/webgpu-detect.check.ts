/**
 * Child process for webgpu-detect.spec.ts: the shapes-demo detector (random seeded weights, score threshold 0)
 * on the webgpu backend (Dawn's software adapter: OpenGL ES on Mesa llvmpipe, resdet's WGSL kernels registered)
 * and on wasm with the same weights:
 *  - detection: `predict` on webgpu (awaited reads) vs `predict` on wasm (sync reads), for two images of different sizes;
 *  - training: the two-phase step on webgpu (`prepareTrainingStep` reads proposals with `await data()`, then
 *    `computeLossesFromPlan` inside `tf.variableGrads`), then phase 2 on wasm with webgpu's plan (same host
 *    decisions, same input tensor) — losses and a few gradients — and wasm's own phase 1 for comparison.
 * Prints one JSON line (detections, losses, gradient errors, timings). A separate process for the reasons in
 * webgpu-software.check.ts (Mesa reads the real environment; Dawn's threads must not outlive the test).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { initRuntime } from '@resdet/runtime';
import {
  buildDetector,
  type Detections,
  type GeneralizedRCNN,
  type TargetBoxes,
  type TrainingStepPlan,
} from '@resdet/detection';

const ARCH = 'fasterrcnn_shapes_demo';
const CONFIG = { numClasses: 4, boxScoreThresh: 0 };
/** Training at 64×64 with smaller samples: the cpu reference's backward is the slow part of the test. */
const TRAIN_CONFIG = {
  ...CONFIG,
  minSize: 64,
  maxSize: 64,
  rpnBatchSizePerImage: 64,
  boxBatchSizePerImage: 32,
};
/** One gradient per part: ResNet body (stem and layer4, through trainable BatchNorm), FPN, RPN head, box head, predictor. */
const GRAD_NAMES = [
  'backbone.body.conv1.weight',
  'backbone.body.layer4.0.conv1.weight',
  'backbone.fpn.inner_blocks.0.0.weight',
  'backbone.fpn.layer_blocks.3.0.weight',
  'rpn.head.conv.0.0.weight',
  'roi_heads.box_head.fc6.weight',
  'roi_heads.box_predictor.bbox_pred.weight',
];

/** Deterministic images: smooth gradients plus a few bright rectangles (something for the RPN to see). */
function image(h: number, w: number, seed: number): { data: Float32Array; shape: [number, number, number] } {
  const data = new Float32Array(h * w * 3);
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        data[(y * w + x) * 3 + c] = 0.3 * rnd() + (0.2 * (x + y + 20 * c)) / (h + w);
  for (let k = 0; k < 4; k++) {
    const [x0, y0] = [Math.floor(rnd() * (w - 40)), Math.floor(rnd() * (h - 40))];
    const [bw, bh] = [16 + Math.floor(rnd() * 24), 16 + Math.floor(rnd() * 24)];
    const col = [rnd(), rnd(), rnd()];
    for (let y = y0; y < y0 + bh; y++)
      for (let x = x0; x < x0 + bw; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = col[c];
  }
  return { data, shape: [h, w, 3] };
}

const IMAGES = [image(128, 128, 1), image(96, 128, 2)];
const TARGETS: TargetBoxes[] = [
  { boxes: Float32Array.of(10, 12, 50, 60, 70, 20, 110, 44), labels: Int32Array.of(1, 3) },
  { boxes: Float32Array.of(30, 30, 90, 80), labels: Int32Array.of(2) },
];

const tensors = (): tf.Tensor3D[] => IMAGES.map((im) => tf.tensor3d(im.data, im.shape));
const plain = (d: Detections[]) =>
  d.map((x) => ({ boxes: Array.from(x.boxes), scores: Array.from(x.scores), labels: Array.from(x.labels) }));

async function use(backend: string): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
}

/** One two-phase step's losses and the GRAD_NAMES gradients (read with `await data()`). */
async function phase2(
  model: GeneralizedRCNN,
  plan: TrainingStepPlan,
): Promise<{ losses: Record<string, number>; grads: Record<string, number[]> }> {
  const params = model.trainableParameters();
  let terms: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(
    () => {
      terms = Object.fromEntries(
        Object.entries(model.computeLossesFromPlan(plan)).map(([k, v]) => [k, tf.keep(v)]),
      );
      const names = Object.keys(terms);
      return names
        .slice(1)
        .reduce((acc, n) => tf.add(acc, terms[n]), terms[names[0]] as tf.Tensor) as tf.Scalar;
    },
    params.map(([, v]) => v),
  );
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(terms)) losses[k] = (await v.data())[0];
  losses.loss = (await value.data())[0];
  const out: Record<string, number[]> = {};
  for (const name of GRAD_NAMES) {
    const v = params.find(([n]) => n === name);
    if (!v)
      throw new Error(
        `no trainable parameter ${name} (have ${params
          .map(([n]) => n)
          .slice(0, 5)
          .join(', ')}, …)`,
      );
    out[name] = Array.from(await grads[v[1].name].data());
  }
  tf.dispose([value, ...Object.values(grads), ...Object.values(terms)]);
  return { losses, grads: out };
}

async function main(): Promise<void> {
  const logs: string[] = [];
  const times: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    times[name] = Math.round(performance.now() - t0);
    return r;
  };
  await initRuntime({ backend: 'webgpu', webgpuSoftware: true, env: process.env, log: (m) => logs.push(m) });

  // wasm: the reference detections, and wasm's own phase 1 (to compare the host decisions)
  await use('wasm');
  const ref = buildDetector(ARCH, CONFIG).eval();
  const weights = ref.stateDict();
  let imgs = tensors();
  const wasmDets = await timed('wasmDetect', async () => ref.predict(imgs));
  ref.dispose();
  const wasmTrain = buildDetector(ARCH, TRAIN_CONFIG);
  wasmTrain.loadStateDict(weights);
  const wasmPlan = await wasmTrain.train().prepareTrainingStep(imgs, TARGETS);
  wasmPlan.images.dispose();
  wasmTrain.dispose();
  tf.dispose(imgs);

  // webgpu: same weights; detection, then one two-phase training step
  await use('webgpu');
  const gpu = buildDetector(ARCH, CONFIG);
  gpu.loadStateDict(weights);
  gpu.eval();
  imgs = tensors();
  await timed('webgpuDetectFirst', () => gpu.predict(imgs)); // compiles the pipelines
  const gpuDets = await timed('webgpuDetect', () => gpu.predict(imgs));
  gpu.dispose();
  const gpuTrain = buildDetector(ARCH, TRAIN_CONFIG);
  gpuTrain.loadStateDict(weights);
  gpuTrain.train();
  const plan = await timed('webgpuPhase1', () => gpuTrain.prepareTrainingStep(imgs, TARGETS));
  const gpuStep = await timed('webgpuPhase2', () => phase2(gpuTrain, plan));
  const batchData = (await plan.images.data()) as Float32Array;
  const batchShape = plan.images.shape;
  plan.images.dispose();
  gpuTrain.dispose();
  tf.dispose(imgs);

  // cpu: phase 2 on webgpu's plan (the same host decisions and input batch), from the same weights
  await use('cpu');
  const cpuTrain = buildDetector(ARCH, TRAIN_CONFIG);
  cpuTrain.loadStateDict(weights);
  cpuTrain.train();
  const cpuPlan: TrainingStepPlan = { ...plan, images: tf.tensor4d(batchData, batchShape) };
  const cpuStep = await timed('cpuPhase2', () => phase2(cpuTrain, cpuPlan));
  cpuPlan.images.dispose();
  cpuTrain.dispose();

  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
    a.length === b.length && Array.from(a).every((x, i) => x === b[i]);
  const rpnTargetsSame =
    same(plan.rpnTargets.objWeight, wasmPlan.rpnTargets.objWeight) &&
    same(plan.rpnTargets.objLabel, wasmPlan.rpnTargets.objLabel) &&
    same(plan.rpnTargets.posWeight, wasmPlan.rpnTargets.posWeight);
  /** max|a − b| / max|b|. */
  const relErr = (a: number[], b: number[]): number => {
    let e = a.length === b.length ? 0 : Infinity;
    let m = 0;
    for (let i = 0; i < b.length; i++) {
      e = Math.max(e, Math.abs(a[i] - b[i]));
      m = Math.max(m, Math.abs(b[i]));
    }
    return m > 0 ? e / m : e;
  };
  const gradErrors: Record<string, number> = {};
  for (const name of GRAD_NAMES) gradErrors[name] = relErr(gpuStep.grads[name], cpuStep.grads[name]);
  const key = (b: Float32Array, i: number) =>
    Array.from(b.subarray(4 * i, 4 * i + 4), (v) => v.toFixed(2)).join(',');
  const wasmRois = new Set(
    wasmPlan.roiSamples.proposals.flatMap((b, img) =>
      Array.from({ length: b.length / 4 }, (_, i) => `${img}:${key(b, i)}`),
    ),
  );
  const gpuRois = plan.roiSamples.proposals.flatMap((b, img) =>
    Array.from({ length: b.length / 4 }, (_, i) => `${img}:${key(b, i)}`),
  );
  const roiSampleAgreement = gpuRois.filter((k) => wasmRois.has(k)).length / Math.max(1, gpuRois.length);
  process.stdout.write(
    JSON.stringify({
      log: logs[0],
      detections: { webgpu: plain(gpuDets), wasm: plain(wasmDets) },
      losses: { webgpu: gpuStep.losses, cpu: cpuStep.losses },
      gradErrors,
      rpnTargetsSame,
      roiSampleAgreement,
      times,
    }) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stdout.write(JSON.stringify({ error: `${e.message}\n${e.stack ?? ''}` }) + '\n');
    process.exit(1);
  },
);
