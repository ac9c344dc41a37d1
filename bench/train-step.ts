/**
 * bench/train-step: the training step of an R18-FPN Faster R-CNN (torchvision's `resnet_fpn_backbone('resnet18')`
 * layout: frozen BatchNorm, trainable layers 3, torchvision's RPN/RoI defaults) on generated shapes images of
 * 256×320 (minSize 256, maxSize 320: no resize), batch 2, through the Trainer (loss, gradients, SGD with momentum
 * and weight decay), on wasm. Prints s/iteration and images/s over the timed steps, and, when
 * `/usr/bin/python3 -c "import torchvision"` works, torchvision's figure on the same images in the same run
 * (torch.set_num_threads(1) and torch's default) and the ratio. Not a test: it prints figures. Debian's torch takes
 * its BLAS (the Linear layers' matmuls) from libblas.so.3, the slow reference BLAS unless OpenBLAS is installed:
 * `LD_LIBRARY_PATH=<dir with OpenBLAS's libblas.so.3>` reaches the torch child (the line prints the BLAS used).
 *
 *   npm run bench -- bench/train-step.ts [--warmup 2] [--iters 6] [--profile] [--top 30] [--no-torch] [--shapes]
 *     [--height 256] [--width 320] [--batch 2] [--seed 0]
 *
 * --profile: one more table, per kernel and phase (forward / backward / optimizer / other), of the timed steps:
 * calls, self CPU ms (see bench/kernel-profile.ts), % of the step's CPU time, and self wall ms; timing every kernel call costs ~1 %. --shapes:
 * one row per input shapes too. With --baseline K1,K2 the profile runs on tfjs's kernels for K1, K2 (the table
 * before resdet's replaced them).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { Rng } from '@resdet/random';
import { generateShapeSample, resolveShapesOptions, shapeSampleRng, type LoaderBatch } from '@resdet/data';
import {
  BalancedPositiveNegativeSampler,
  buildFasterRcnn,
  resolveConfig,
  rgbToTensor,
} from '@resdet/detection';
import { registerFastWasmBackprop, Sgd, Trainer, trainableModule } from '@resdet/training';
import { KernelProfile } from './kernel-profile';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const TORCH_SCRIPT = path.join(__dirname, 'train_step_torchvision.py');

function makeBatches(
  count: number,
  batch: number,
  height: number,
  width: number,
  seed: number,
): LoaderBatch[] {
  const shapes = resolveShapesOptions({ width, height });
  const out: LoaderBatch[] = [];
  for (let b = 0; b < count; b++) {
    const samples = [...Array(batch).keys()].map((i) =>
      generateShapeSample(shapeSampleRng(seed, 'train', b * batch + i), shapes),
    );
    out.push({
      epoch: 0,
      step: b,
      images: samples.map((s) => s.image),
      targets: samples.map((s, i) => ({
        imageId: b * batch + i,
        boxes: Float32Array.from(s.objects.flatMap((o) => o.box)),
        labels: Int32Array.from(s.objects.map((o) => o.label)),
        originalWidth: width,
        originalHeight: height,
        flipped: false,
      })),
    });
  }
  return out;
}

/** The same images and boxes for the torchvision run: a JSON of targets and one raw uint8 HWC file. */
function writeForTorch(batches: LoaderBatch[], dir: string): string {
  const meta = batches.map((b) => b.targets.map((t) => ({ boxes: [...t.boxes], labels: [...t.labels] })));
  const first = batches[0].images[0];
  fs.writeFileSync(
    path.join(dir, 'targets.json'),
    JSON.stringify({ height: first.height, width: first.width, batches: meta }),
  );
  fs.writeFileSync(
    path.join(dir, 'images.u8'),
    Buffer.concat(batches.flatMap((b) => b.images.map((im) => im.data))),
  );
  return dir;
}

interface TorchResult {
  threads: number;
  secondsPerIteration: number;
  cpuSecondsPerIteration: number;
  blas: string;
  losses: number[];
}

function torchvision(dir: string, warmup: number, iters: number, threads: number): TorchResult | string {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torchvision'], { stdio: 'ignore' });
  } catch {
    return 'not measured: /usr/bin/python3 -c "import torchvision" fails (apt-get install python3-torchvision)';
  }
  const out = execFileSync(
    '/usr/bin/python3',
    [TORCH_SCRIPT, dir, '--warmup', String(warmup), '--iters', String(iters), '--threads', String(threads)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as TorchResult;
}

/** Kernels registered for `backend` now (before initRuntime: tfjs's own), for `--baseline`. */
function kernelsNow(names: string[], backend: string): tf.KernelConfig[] {
  return names.map((n) => {
    const k = tf.getKernel(n, backend);
    if (!k) throw new Error(`--baseline: no ${backend} kernel ${n}`);
    return k;
  });
}

/** CPU time of this process (all threads), ms: steadier than wall time on a shared machine. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function swapKernels(configs: tf.KernelConfig[]): tf.KernelConfig[] {
  return configs.map((c) => {
    const current = tf.getKernel(c.kernelName, c.backendName)!;
    tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
    return current;
  });
}

async function main(): Promise<void> {
  const warmup = Number(flag('warmup', '2'));
  const iters = Number(flag('iters', '6'));
  const height = Number(flag('height', '256'));
  const width = Number(flag('width', '320'));
  const batch = Number(flag('batch', '2'));
  const seed = Number(flag('seed', '0'));
  const top = Number(flag('top', '30'));
  const rounds = Number(flag('rounds', '2'));
  const baselineNames = flag('baseline', '')
    .split(',')
    .filter((n) => n);
  const profiling = process.argv.includes('--profile');
  await import('@tensorflow/tfjs-backend-wasm');
  const baseline = kernelsNow(baselineNames, 'wasm');
  const backend = await initRuntime({ backend: 'wasm' });
  // As runDetectionTraining does on wasm.
  if (backend === 'wasm') registerFastWasmBackprop();

  const config = resolveConfig({
    backboneDepth: 18,
    numClasses: 5,
    minSize: height,
    maxSize: width,
    seed,
  });
  const rngs = [new Rng(seed).fork(105), new Rng(seed).fork(107)];
  const model = buildFasterRcnn(config, {
    rpnSampler: new BalancedPositiveNegativeSampler(
      config.rpnBatchSizePerImage,
      config.rpnPositiveFraction,
      rngs[0],
    ),
    boxSampler: new BalancedPositiveNegativeSampler(
      config.boxBatchSizePerImage,
      config.boxPositiveFraction,
      rngs[1],
    ),
  });
  const batches = makeBatches(warmup + iters, batch, height, width, seed);
  const profile = new KernelProfile(backend, process.argv.includes('--shapes'));
  let next = 0;
  const stepSeconds: number[] = [];
  const losses: number[] = [];
  const params = model.trainableParameters();
  const sgd = new Sgd(params, { momentum: 0.9, weightDecay: 1e-4 });
  const optimizer = {
    step: (g: Parameters<Sgd['step']>[0], lr: number) => {
      profile.phase = 'optimizer';
      sgd.step(g, lr);
      profile.phase = 'other';
    },
    stateDict: () => sgd.stateDict(),
    loadStateDict: (sd: Parameters<Sgd['loadStateDict']>[0]) => sgd.loadStateDict(sd),
  };
  const lossOf = (m: typeof model, b: LoaderBatch) => {
    profile.phase = 'forward';
    const images = b.images.map(rgbToTensor);
    const out = m.computeLosses(
      images,
      b.targets.map((t) => ({ boxes: t.boxes, labels: t.labels })),
    ) as unknown as Record<string, tf.Scalar>;
    profile.phase = 'backward';
    return out;
  };
  const trainer = new Trainer<LoaderBatch>({
    // The loss the training CLI runs on wasm (detectorTrainable's one-pass path).
    model: trainableModule(model, lossOf),
    data: {
      next: () => batches[next++ % batches.length],
      getState: () => next,
      setState: (s) => (next = s as number),
      batchSize: (b) => b.images.length,
      release: () => undefined,
    },
    optimizer,
    lr: () => 0.02,
    maxIterations: Number.MAX_SAFE_INTEGER,
    onEvent: (e) => {
      if (e.type === 'iteration') {
        stepSeconds.push(e.seconds);
        losses.push(e.losses.loss);
      }
    },
  });
  const header =
    `train-step (R18-FPN, frozen BN, ${height}×${width}, batch ${batch}, backend ${backend}, ${os.cpus().length} CPUs, ` +
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at start):`;
  process.stdout.write(header + '\n');

  if (baseline.length && !profiling) {
    // Same weights, same sampler draws: the loss and every gradient with both kernel sets, compared as bits.
    const state = rngs.map((r) => r.getState());
    const grads = () => {
      rngs.forEach((r, i) => r.setState(state[i]));
      model.train(true);
      const { value, grads: g } = tf.variableGrads(() => {
        const terms = lossOf(model, batches[0]);
        return Object.values(terms).reduce((a, t) => tf.add(a, t)) as tf.Scalar;
      });
      const host = [value, ...Object.values(g)].map((t) => Buffer.from(t.dataSync().buffer.slice(0)));
      tf.dispose([value, ...Object.values(g)]);
      return host;
    };
    const ours = grads();
    const replaced = swapKernels(baseline);
    const theirs = grads();
    swapKernels(replaced);
    rngs.forEach((r, i) => r.setState(state[i]));
    const differ = ours.filter((b, i) => Buffer.compare(b, theirs[i]) !== 0).length;
    process.stdout.write(
      `  loss and ${ours.length - 1} gradients with resdet's vs tfjs's ${baselineNames.join(', ')}: ` +
        `${differ ? `${differ} tensors DIFFER` : 'bit-identical'}\n`,
    );
    for (let i = 0; i < warmup; i++) await trainer.step();
    const ms = { resdet: 0, tfjs: 0 };
    const cpu = { resdet: 0, tfjs: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['resdet', 'tfjs'] as const) {
        const swapped = mode === 'tfjs' ? swapKernels(baseline) : [];
        const t0 = performance.now();
        const c0 = cpuMs();
        for (let i = 0; i < iters; i++) await trainer.step();
        ms[mode] += performance.now() - t0;
        cpu[mode] += cpuMs() - c0;
        swapKernels(swapped);
      }
    }
    const per = (m: number) => (m / 1000 / (rounds * iters)).toFixed(2);
    process.stdout.write(
      `  resdet kernels: ${per(ms.resdet)} s/iteration (CPU ${per(cpu.resdet)} s); ` +
        `tfjs's ${baselineNames.join(', ')}: ${per(ms.tfjs)} s/iteration (CPU ${per(cpu.tfjs)} s) ` +
        `(${rounds} alternating rounds of ${iters} steps each after ${warmup} warm-up); ` +
        `speed-up ${(ms.tfjs / ms.resdet).toFixed(2)}× wall, ${(cpu.tfjs / cpu.resdet).toFixed(2)}× CPU\n` +
        `  load average at the end ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );
    return;
  }

  // --profile --baseline K1,K2: the profile with tfjs's kernels for those (the "before" table).
  if (baseline.length) swapKernels(baseline);
  if (profiling) profile.install();
  for (let i = 0; i < warmup; i++) await trainer.step();
  const tensorsBefore = tf.memory().numTensors;
  profile.start();
  const t0 = performance.now();
  const c0 = cpuMs();
  for (let i = 0; i < iters; i++) await trainer.step();
  const timedMs = performance.now() - t0;
  const timedCpuMs = cpuMs() - c0;
  profile.stop();
  profile.uninstall();
  const perIter = timedMs / 1000 / iters;
  const lines = [
    `  resdet: ${perIter.toFixed(2)} s/iteration (CPU ${(timedCpuMs / 1000 / iters).toFixed(2)} s), ${((batch * iters * 1000) / timedMs).toFixed(2)} images/s ` +
      `(${iters} timed after ${warmup} warm-up; steps ${stepSeconds
        .slice(warmup)
        .map((s) => s.toFixed(2))
        .join(' ')} s; tensors leaked ${tf.memory().numTensors - tensorsBefore})`,
    `  losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');

  if (profiling) {
    // CPU time ranks the rows: on a shared machine wall time includes waiting for a core.
    const total = profile.totals();
    const rows = profile.table();
    const pct = (ms: number) => ((100 * ms) / timedCpuMs).toFixed(1).padStart(5);
    const it = (ms: number) => (ms / iters).toFixed(1).padStart(8);
    const out = [
      `  per kernel over the ${iters} timed steps (self time per step; % of the step's CPU time):`,
      `  ${'kernel'.padEnd(40)} ${'phase'.padEnd(9)} ${'calls/it'.padStart(8)} ${'CPU ms/it'.padStart(9)} ${'%'.padStart(5)} ${'wall ms/it'.padStart(10)}`,
      ...rows
        .slice(0, top)
        .map(
          (r) =>
            `  ${r.kernel.padEnd(40)} ${r.phase.padEnd(9)} ${(r.calls / iters).toFixed(0).padStart(8)} ${it(r.cpuMs).padStart(9)} ${pct(r.cpuMs)} ${it(r.ms).padStart(10)}`,
        ),
    ];
    const byPhase = new Map<string, number>();
    for (const r of rows) byPhase.set(r.phase, (byPhase.get(r.phase) ?? 0) + r.cpuMs);
    out.push(
      `  ${rows.length - Math.min(top, rows.length)} more rows: ${(rows.slice(top).reduce((s, r) => s + r.cpuMs, 0) / iters).toFixed(1)} CPU ms/it`,
      `  kernels by phase (CPU ms/it): ${[...byPhase]
        .map(([p, ms]) => `${p} ${(ms / iters).toFixed(0)} (${pct(ms).trim()} %)`)
        .join(', ')}`,
      `  in kernels ${(total.cpuMs / iters).toFixed(0)} CPU ms/it (${pct(total.cpuMs).trim()} %), outside kernels (JS, engine, host code, GC) ` +
        `${((timedCpuMs - total.cpuMs) / iters).toFixed(0)} CPU ms/it (${pct(timedCpuMs - total.cpuMs).trim()} %)`,
    );
    process.stdout.write(out.join('\n') + '\n');
  }

  if (!process.argv.includes('--no-torch')) {
    const dir = writeForTorch(batches, fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-train-step-')));
    try {
      for (const threads of [1, 0]) {
        const r = torchvision(dir, warmup, iters, threads);
        if (typeof r === 'string') {
          process.stdout.write(`  torchvision: ${r}\n`);
          break;
        }
        process.stdout.write(
          `  torchvision (${threads ? '1 thread' : `default threads: ${r.threads}`}, BLAS ${r.blas}): ${r.secondsPerIteration.toFixed(2)} s/iteration ` +
            `(CPU ${r.cpuSecondsPerIteration.toFixed(2)} s), ${(batch / r.secondsPerIteration).toFixed(2)} images/s; ` +
            `resdet/torchvision ratio ${(perIter / r.secondsPerIteration).toFixed(2)}× wall, ` +
            `${(timedCpuMs / 1000 / iters / r.cpuSecondsPerIteration).toFixed(2)}× CPU\n`,
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
