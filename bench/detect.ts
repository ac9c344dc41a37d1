/**
 * Detector latency (not a test): R50-FPN (random weights) at min_size 800 on one 480×640 image (→ 800×1066,
 * padded 800×1088), per engine — onnxruntime-node (@resdet/onnx), tfjs on the default backend (wasm here), and,
 * when /usr/bin/python3 has torchvision, torchvision itself on the same image in the same run — with ratios.
 *
 *   node -r ./tools/register.js bench/detect.ts [--iters 3] [--tfjs-iters 1] [--arch fasterrcnn_resnet50_fpn]
 *        [--engines ort,tfjs,torchvision] [--threads N] [--height 480 --width 640] [--backend wasm]
 *
 * Latency is per call of predict([image]) after one warm-up call, median of the timed calls; the ort line also
 * breaks a call down by stage (host transform, backbone+FPN+RPN head graph, proposal filtering in TS, RoIAlign +
 * box head graph, post-processing in TS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import { join } from 'path';
import { initRuntime } from '@resdet/runtime';
import { Rng } from '@resdet/random';
import { buildDetector, resizedSize } from '@resdet/detection';
import { exportFasterRcnn, OrtFasterRcnn, OrtStageTimes } from '@resdet/onnx';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const iters = Number(arg('iters', '3'));
  const tfjsIters = Number(arg('tfjs-iters', '1'));
  const arch = arg('arch', 'fasterrcnn_resnet50_fpn');
  const engines = arg('engines', 'ort,tfjs,torchvision').split(',');
  const threads = Number(arg('threads', String(os.availableParallelism?.() ?? os.cpus().length)));
  const h = Number(arg('height', '480'));
  const w = Number(arg('width', '640'));
  const backend = await initRuntime({ backend: arg('backend', 'wasm') });

  const rng = new Rng(1);
  const pixels = Uint8Array.from({ length: h * w * 3 }, () => rng.int(256));
  const [rh, rw] = resizedSize(h, w, 800, 1333);
  console.log(
    `${arch} (random weights), one ${h}×${w} image → ${rh}×${rw} (padded to /32), ${os.cpus().length} cores, ${threads} threads`,
  );
  const results: Record<string, number> = {};
  /** CPU time (user + system, all threads) per call: less sensitive than wall time to other load on the machine. */
  const cpuMs: Record<string, number> = {};

  const model = buildDetector(arch).eval();
  if (engines.includes('ort')) {
    let t = performance.now();
    const onnx = exportFasterRcnn(model);
    const exportMs = performance.now() - t;
    t = performance.now();
    const engine = await OrtFasterRcnn.create(model, { onnx, intraOpNumThreads: threads });
    const createMs = performance.now() - t;
    const image = { data: pixels, height: h, width: w };
    const warm = await engine.predict([image]);
    const times: OrtStageTimes = {};
    const ms: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) {
      t = performance.now();
      await engine.predict([image], times);
      ms.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    results.ort = median(ms);
    cpuMs.ort = (cpu.user + cpu.system) / 1000 / iters;
    const stages = Object.entries(times)
      .map(([k, v]) => `${k} ${(v / iters).toFixed(0)}`)
      .join(', ');
    console.log(
      `ort   onnxruntime-node ${engine.device}: ${fmt(results.ort)} median of ${iters} (cpu ${fmt(cpuMs.ort)}/call) [${stages} ms]; ` +
        `export ${fmt(exportMs)} (${((onnx.backbone.length + onnx.boxHead.length) / 2 ** 20).toFixed(0)} MiB), sessions ${fmt(createMs)}, ${warm[0].scores.length} detections`,
    );
    await engine.release();
  }

  if (engines.includes('tfjs')) {
    const img = tf.tidy(
      () => tf.div(tf.cast(tf.tensor3d(pixels, [h, w, 3], 'int32'), 'float32'), 255) as tf.Tensor3D,
    );
    let t = performance.now();
    await model.predict([img]); // warm-up (folds BN, compiles kernels)
    const warmMs = performance.now() - t;
    const ms: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < tfjsIters; i++) {
      t = performance.now();
      await model.predict([img]);
      ms.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    results.tfjs = median(ms);
    cpuMs.tfjs = (cpu.user + cpu.system) / 1000 / tfjsIters;
    console.log(
      `tfjs  ${backend}: ${fmt(results.tfjs)} median of ${tfjsIters} (cpu ${fmt(cpuMs.tfjs)}/call; warm-up ${fmt(warmMs)})`,
    );
    img.dispose();
  }
  model.dispose();

  const py = '/usr/bin/python3';
  if (engines.includes('torchvision') && existsSync(py)) {
    const dir = mkdtempSync(join(os.tmpdir(), 'resdet-bench-'));
    try {
      const raw = join(dir, 'image.raw');
      writeFileSync(raw, pixels);
      const script = join(__dirname, '..', 'tools', 'onnx', 'torchvision_latency.py');
      const r = spawnSync(
        py,
        [
          script,
          '--image',
          raw,
          '--height',
          String(h),
          '--width',
          String(w),
          '--arch',
          arch,
          '--iters',
          String(iters),
          '--threads',
          String(threads),
        ],
        { encoding: 'utf8' },
      );
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('{')) {
        console.log(`torchvision: not measured (${(r.stderr || r.stdout).trim().split('\n').pop()})`);
      } else {
        const o = JSON.parse(line) as {
          torch: string;
          torchvision: string;
          threads: number;
          ms: number[];
          cpu_ms: number[];
        };
        results.torchvision = median(o.ms);
        cpuMs.torchvision = o.cpu_ms.reduce((a, b) => a + b, 0) / o.cpu_ms.length;
        console.log(
          `torchvision ${o.torchvision} (torch ${o.torch}, ${o.threads} threads): ${fmt(results.torchvision)} median of ${o.ms.length} (cpu ${fmt(cpuMs.torchvision)}/call)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else if (engines.includes('torchvision')) {
    console.log(`torchvision: not measured (${py} not found)`);
  }

  const ratio = (r: Record<string, number>, a: string, b: string) =>
    r[a] && r[b] ? `${a}/${b} = ${(r[a] / r[b]).toFixed(2)}×` : undefined;
  const pairs: [string, string][] = [
    ['ort', 'torchvision'],
    ['tfjs', 'torchvision'],
    ['tfjs', 'ort'],
  ];
  const wall = pairs.map(([a, b]) => ratio(results, a, b)).filter(Boolean);
  const cpu = pairs.map(([a, b]) => ratio(cpuMs, a, b)).filter(Boolean);
  if (wall.length) console.log(`ratios (wall): ${wall.join(', ')}`);
  if (cpu.length) console.log(`ratios (cpu time): ${cpu.join(', ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
