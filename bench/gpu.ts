/**
 * GPU benchmark (not a test): tfjs-backend-webgpu on Dawn, with and without resdet's WGSL kernels.
 * Prints, per mode (`resdet` = registerWebgpuKernels(), `tfjs` = tfjs 4.22's own kernels only):
 *  - R50-FPN detection img/s at H×W (default 800×1216) for batch 1 and 8 (random weights, predict());
 *  - one training step img/s at batch 8: the two-phase step (prepareTrainingStep, then computeLossesFromPlan +
 *    gradients inside tf.variableGrads) + a plain SGD update, FrozenBN body as torchvision;
 *  - Conv2DBackpropFilter TFLOP/s on R50-FPN's weight-gradient shapes at batch 8;
 * then a table. torchvision on the same H100 (GPU.md): 52 / 110 img/s inference, 40 img/s training (fp32).
 *
 * Local smoke run on Dawn's software adapter (llvmpipe; tiny sizes, it is slow):
 *   node -r ./tools/register.js bench/gpu.ts --software --height 64 --width 96 --batches 1 --train-batch 1 --iters 1 --wgrad-scale 0.05
 * On the GPU machine (see bench/RESULTS.md): ../shared/gpu/make-kit.sh bench/gpu.ts .gpu-kit, then the device
 * tool runs `bash .gpu-kit/run.sh` (carry .gpu-kit).
 * Flags: --modes resdet,tfjs  --skip detect,train,wgrad  --iters N (timed runs, median)  --warmup N
 *        --no-resdet-kernels (= --modes tfjs)  --arch fasterrcnn_resnet50_fpn
 *
 * Must not import sharp (the kit has no native modules but Dawn), so it sets the adapter up itself instead of
 * going through initRuntime (whose optional-package loading uses computed requires that a bundle cannot see).
 */
import * as tf from '@tensorflow/tfjs-core';
import { create, globals } from 'webgpu';
import { registerGradients, registerWebgpuKernels, unregisterWebgpuKernels } from '@resdet/runtime';
import { buildDetector, TargetBoxes } from '@resdet/detection';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const nums = (s: string): number[] => s.split(',').filter(Boolean).map(Number);

/** Creates Dawn's adapter (Vulkan, or llvmpipe through OpenGL ES with --software) and the webgpu backend. */
async function setUpWebgpu(software: boolean): Promise<string> {
  if (software) process.env.EGL_PLATFORM ??= 'surfaceless';
  Object.assign(globalThis, globals);
  const gpu = create(software ? ['backend=opengles'] : []) as unknown as {
    requestAdapter(o?: object): Promise<unknown>;
  };
  const nav = software
    ? { gpu: { requestAdapter: (o?: object) => gpu.requestAdapter({ ...o, featureLevel: 'compatibility' }) } }
    : { gpu };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  registerGradients();
  if (!(await tf.setBackend('webgpu')))
    throw new Error('bench/gpu: the webgpu backend did not initialise (no adapter?)');
  await tf.ready();
  const adapter = (await gpu.requestAdapter(software ? {} : { powerPreference: 'high-performance' })) as {
    info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  } | null;
  const i = adapter?.info ?? {};
  return [i.description, i.device, i.vendor, i.architecture].filter(Boolean).join(', ') || 'unknown adapter';
}

/** Seeded uniform [0, 1). */
function uniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/**
 * Waits for the GPU queue: the sum is enqueued after everything submitted so far, and WebGPU's queue runs in
 * order, so reading it waits for all of it.
 */
async function sync(t: tf.Tensor): Promise<void> {
  const s = tf.tidy(() => tf.sum(t));
  await s.data();
  s.dispose();
}

interface Row {
  mode: string;
  what: string;
  value: number;
  unit: string;
  detail: string;
}

async function timeIt(
  iters: number,
  warmup: number,
  f: () => Promise<void>,
): Promise<{ ms: number; warmMs: number }> {
  let t = performance.now();
  for (let i = 0; i < warmup; i++) await f();
  const warmMs = performance.now() - t;
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), warmMs };
}

/** R50-FPN weight-gradient shapes at batch 8 for an H×W input: [name, x shape, kernel, stride, pad, C_out]. */
function wgradShapes(
  h: number,
  w: number,
  batch: number,
): [string, [number, number, number, number], number, number, number, number][] {
  const s = (d: number): [number, number] => [Math.ceil(h / d), Math.ceil(w / d)];
  return [
    ['stem 7×7/2 3→64', [batch, h, w, 3], 7, 2, 3, 64],
    ['layer1 1×1 64→64', [batch, ...s(4), 64], 1, 1, 0, 64],
    ['layer1 3×3 64→64', [batch, ...s(4), 64], 3, 1, 1, 64],
    ['layer2 3×3 128→128', [batch, ...s(8), 128], 3, 1, 1, 128],
    ['layer3 3×3 256→256', [batch, ...s(16), 256], 3, 1, 1, 256],
    ['layer4 1×1 512→2048', [batch, ...s(32), 512], 1, 1, 0, 2048],
    ['fpn 3×3 256→256 P2', [batch, ...s(4), 256], 3, 1, 1, 256],
  ];
}

async function benchWgrad(
  mode: string,
  rows: Row[],
  h: number,
  w: number,
  batch: number,
  iters: number,
): Promise<void> {
  let flops = 0;
  let ms = 0;
  for (const [name, xs, k, stride, pad, cout] of wgradShapes(h, w, batch)) {
    const x = tf.tensor4d(
      uniform(
        xs.reduce((a, b) => a * b),
        1,
      ),
      xs,
    );
    const conv = tf.backend_util.computeConv2DInfo(xs, [k, k, xs[3], cout], stride, 1, pad);
    const dyShape: [number, number, number, number] = [batch, conv.outHeight, conv.outWidth, cout];
    const dy = tf.tensor4d(
      uniform(
        dyShape.reduce((a, b) => a * b),
        2,
      ),
      dyShape,
    );
    const run = (): tf.Tensor =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: stride,
        pad,
        dataFormat: 'NHWC',
        filterShape: [k, k, xs[3], cout],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const { ms: t } = await timeIt(iters, 1, async () => {
      const out = run();
      await sync(out);
      out.dispose();
    });
    const f = 2 * k * k * xs[3] * cout * batch * conv.outHeight * conv.outWidth;
    flops += f;
    ms += t;
    rows.push({
      mode,
      what: `wgrad ${name} ${xs.slice(1, 3).join('×')}`,
      value: f / t / 1e9,
      unit: 'TFLOP/s',
      detail: `${t.toFixed(2)} ms`,
    });
    tf.dispose([x, dy]);
  }
  rows.push({
    mode,
    what: `wgrad all shapes, batch ${batch}`,
    value: flops / ms / 1e9,
    unit: 'TFLOP/s',
    detail: `${ms.toFixed(1)} ms total`,
  });
}

/**
 * Runs a measurement that may be impossible on this backend and records why instead of aborting the bench.
 * (tfjs-backend-webgpu's synchronous read needs `OffscreenCanvas`, which Node lacks: the detector is measured
 * through its async paths, predict and the two-phase training step.)
 */
async function attempt(rows: Row[], mode: string, what: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    rows.push({ mode, what, value: NaN, unit: 'img/s', detail: `not measurable: ${msg}` });
    console.log(`  ${mode} ${what}: not measurable (${msg})`);
  }
}

async function main(): Promise<void> {
  const software = flag('software');
  const h = Number(arg('height', '800'));
  const w = Number(arg('width', '1216'));
  const batches = nums(arg('batches', '1,8'));
  const trainBatch = Number(arg('train-batch', '8'));
  const iters = Number(arg('iters', '5'));
  const warmup = Number(arg('warmup', '1'));
  const wgradScale = Number(arg('wgrad-scale', '1'));
  const arch = arg('arch', 'fasterrcnn_resnet50_fpn');
  const skip = new Set(arg('skip', '').split(','));
  const modes = flag('no-resdet-kernels') ? ['tfjs'] : arg('modes', 'resdet,tfjs').split(',');
  const adapter = await setUpWebgpu(software);
  console.log(
    `bench/gpu: ${arch}, ${h}×${w}, webgpu on ${adapter}${software ? ' (software)' : ''}, ${new Date().toISOString()}`,
  );

  const rows: Row[] = [];
  const model = buildDetector(arch, { minSize: Math.min(h, w), maxSize: Math.max(h, w, 1333) });
  for (const mode of modes) {
    if (mode === 'resdet')
      console.log(`mode resdet: registered ${registerWebgpuKernels().join(', ') || '(already)'}`);
    else if (mode === 'tfjs')
      console.log(`mode tfjs: unregistered ${unregisterWebgpuKernels().join(', ') || '(none)'}`);
    else throw new Error(`bench/gpu: unknown mode "${mode}" (resdet, tfjs)`);

    if (!skip.has('detect')) {
      model.eval();
      for (const b of batches) {
        const images = Array.from({ length: b }, (_, i) =>
          tf.tensor3d(uniform(h * w * 3, 10 + i), [h, w, 3]),
        );
        // The GPU part of detection: backbone + FPN on the normalised, padded batch (no host reads inside).
        const input = tf.tidy(() => tf.sub(tf.mul(tf.stack(images), 4), 2) as tf.Tensor4D);
        const bb = await timeIt(iters, warmup, async () => {
          const feats = model.backbone.forward(input);
          await sync([...feats.values()][0]); // any tensor: sync() enqueues its sum after all the work
          tf.dispose([...feats.values()]);
        });
        rows.push({
          mode,
          what: `backbone+FPN forward batch ${b}`,
          value: (b * 1000) / bb.ms,
          unit: 'img/s',
          detail: `${bb.ms.toFixed(0)} ms/batch, warm-up ${bb.warmMs.toFixed(0)} ms`,
        });
        console.log(`  ${mode} backbone+FPN forward batch ${b}: ${((b * 1000) / bb.ms).toFixed(2)} img/s`);
        input.dispose();
        await attempt(rows, mode, `detect batch ${b}`, async () => {
          let dets = 0;
          const { ms, warmMs } = await timeIt(iters, warmup, async () => {
            // predict reads its results back (await data() on webgpu), so the time includes all the GPU work
            dets = (await model.predict(images)).reduce((a, d) => a + d.scores.length, 0);
          });
          rows.push({
            mode,
            what: `detect batch ${b}`,
            value: (b * 1000) / ms,
            unit: 'img/s',
            detail: `${ms.toFixed(0)} ms/batch, warm-up ${warmMs.toFixed(0)} ms, ${dets} dets`,
          });
          console.log(`  ${mode} detect batch ${b}: ${((b * 1000) / ms).toFixed(2)} img/s`);
        });
        tf.dispose(images);
      }
    }

    if (!skip.has('train')) {
      model.train(true);
      const params = model.trainableParameters().map(([, v]) => v);
      const images = Array.from({ length: trainBatch }, (_, i) =>
        tf.tensor3d(uniform(h * w * 3, 20 + i), [h, w, 3]),
      );
      const targets: TargetBoxes[] = images.map((_, i) => {
        const r = uniform(16, 30 + i);
        const boxes: number[] = [];
        for (let j = 0; j < 4; j++) {
          const x0 = r[4 * j] * w * 0.7;
          const y0 = r[4 * j + 1] * h * 0.7;
          boxes.push(x0, y0, x0 + 16 + r[4 * j + 2] * w * 0.3, y0 + 16 + r[4 * j + 3] * h * 0.3);
        }
        return { boxes: Float32Array.from(boxes), labels: Int32Array.from([1, 2, 3, 4]) };
      });
      // The GPU part of training: backbone + FPN forward and backward (loss = mean of squared features).
      const input = tf.tidy(() => tf.sub(tf.mul(tf.stack(images), 4), 2) as tf.Tensor4D);
      const bbParams = model.backbone.trainableParameters().map(([, v]) => v);
      const bb = await timeIt(iters, warmup, async () => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.addN(
              [...model.backbone.forward(input).values()].map((f) => tf.mean(tf.square(f))),
            ) as tf.Scalar,
          bbParams,
        );
        await sync(Object.values(grads)[0]); // tf.addN of > 7 inputs exceeds WebGPU's 8 storage buffers per stage
        tf.dispose([value, ...Object.values(grads)]);
      });
      rows.push({
        mode,
        what: `backbone+FPN fwd+bwd batch ${trainBatch}`,
        value: (trainBatch * 1000) / bb.ms,
        unit: 'img/s',
        detail: `${bb.ms.toFixed(0)} ms/step, warm-up ${bb.warmMs.toFixed(0)} ms, ${bbParams.length} trainable tensors`,
      });
      console.log(
        `  ${mode} backbone+FPN fwd+bwd batch ${trainBatch}: ${((trainBatch * 1000) / bb.ms).toFixed(2)} img/s`,
      );
      input.dispose();
      let loss = NaN;
      const phase1: number[] = [];
      await attempt(rows, mode, `train step batch ${trainBatch}`, async () => {
        const { ms, warmMs } = await timeIt(iters, warmup, async () => {
          // phase 1: forward without a tape, proposals read back, matching and sampling on the host
          const t1 = performance.now();
          const plan = await model.prepareTrainingStep(images, targets);
          phase1.push(performance.now() - t1);
          // phase 2: the differentiable losses given phase 1's decisions
          const { value, grads } = tf.variableGrads(
            () => tf.addN(Object.values(model.computeLossesFromPlan(plan))) as tf.Scalar,
            params,
          );
          plan.images.dispose();
          loss = (await value.data())[0];
          tf.tidy(() => {
            for (const v of params) {
              const g = grads[v.name];
              if (g) v.assign(tf.sub(v, tf.mul(g, 1e-5)));
            }
          });
          await sync(params[params.length - 1]);
          tf.dispose([value, ...Object.values(grads)]);
        });
        rows.push({
          mode,
          what: `train step batch ${trainBatch}`,
          value: (trainBatch * 1000) / ms,
          unit: 'img/s',
          detail: `${ms.toFixed(0)} ms/step (phase 1 ${median(phase1.slice(warmup)).toFixed(0)} ms), warm-up ${warmMs.toFixed(0)} ms, loss ${loss.toFixed(3)}`,
        });
        console.log(`  ${mode} train batch ${trainBatch}: ${((trainBatch * 1000) / ms).toFixed(2)} img/s`);
      });
      tf.dispose(images);
    }

    if (!skip.has('wgrad')) {
      const wh = Math.max(32, Math.round(h * wgradScale));
      const ww = Math.max(32, Math.round(w * wgradScale));
      await benchWgrad(mode, rows, wh, ww, 8, iters);
    }
  }
  model.dispose();

  console.log('\n| mode | measurement | value | unit | detail |\n|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.mode} | ${r.what} | ${Number.isNaN(r.value) ? '—' : r.value.toPrecision(3)} | ${r.unit} | ${r.detail} |`,
    );
  const ratio = (what: string): string => {
    const a = rows.find((r) => r.mode === 'resdet' && r.what === what);
    const b = rows.find((r) => r.mode === 'tfjs' && r.what === what);
    return a && b && Number.isFinite(a.value / b.value) ? `${(a.value / b.value).toFixed(2)}×` : 'n/a';
  };
  if (modes.length > 1) {
    console.log('\nresdet kernels vs tfjs kernels (same process, same adapter):');
    for (const what of [...new Set(rows.map((r) => r.what))]) console.log(`  ${what}: ${ratio(what)}`);
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench/gpu failed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
