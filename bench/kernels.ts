/**
 * GFLOP/s of the conv kernels a ResNet training step spends its time in, on wasm vs cpu:
 * Conv2D forward, Conv2DBackpropInput (tfjs's) and Conv2DBackpropFilter (resdet's im2col + GEMM on wasm).
 *   node -r ./tools/register.js bench/kernels.ts [--reps 3] [--no-cpu]
 * Prints one line per (backend, shape, kernel). Not a test: figures only. On a shared machine the figures
 * move by 2× between runs: compare backends and kernels within one run.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initRuntime } from '@resdet/runtime';

interface Shape {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
}

const SHAPES: Shape[] = [
  { name: 'b2 56² 64→64 3×3', x: [2, 56, 56, 64], f: [3, 3, 64, 64], stride: 1 },
  { name: 'b2 28² 128→128 3×3', x: [2, 28, 28, 128], f: [3, 3, 128, 128], stride: 1 },
  { name: 'b2 56² 256→64 1×1', x: [2, 56, 56, 256], f: [1, 1, 256, 64], stride: 1 },
  { name: 'b2 56² 128→128 3×3 /2', x: [2, 56, 56, 128], f: [3, 3, 128, 128], stride: 2 },
  { name: 'b2 224² 3→64 7×7 /2 (stem)', x: [2, 224, 224, 3], f: [7, 7, 3, 64], stride: 2 },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function time(reps: number, f: () => tf.Tensor): Promise<number> {
  const warm = f();
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const t = f();
    await t.data();
    t.dispose();
  }
  return (performance.now() - t0) / reps;
}

async function main(): Promise<void> {
  const reps = Number(arg('--reps') ?? 3);
  await initRuntime({ backend: 'wasm', log: (m) => process.stderr.write(m + '\n') });
  const backends = process.argv.includes('--no-cpu') ? ['wasm'] : ['wasm', 'cpu'];
  for (const backend of backends) {
    await tf.setBackend(backend);
    // The pure-JS cpu backend needs ~1 s per forward conv and ~40 s per Conv2DBackpropFilter: first shape only.
    for (const s of backend === 'cpu' ? SHAPES.slice(0, 1) : SHAPES) {
      const x = tf.randomNormal(s.x) as tf.Tensor4D;
      const w = tf.randomNormal(s.f) as tf.Tensor4D;
      const y = tf.conv2d(x, w, s.stride, 'same');
      const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
      const flops = 2 * y.size * s.f[0] * s.f[1] * s.f[2];
      const kernels: Record<string, () => tf.Tensor> = {
        Conv2D: () => tf.conv2d(x, w, s.stride, 'same'),
        Conv2DBackpropInput: () => tf.conv2dTranspose(dy, w, s.x, s.stride, 'same'),
        Conv2DBackpropFilter: () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x, dy },
              { strides: s.stride, pad: 'same', dataFormat: 'NHWC', filterShape: s.f },
            ) as tf.Tensor,
      };
      for (const [k, f] of Object.entries(kernels)) {
        // The pure-JS cpu backend is ~50× slower: one rep there.
        const ms = await time(backend === 'cpu' ? 1 : reps, f);
        process.stdout.write(
          `${backend.padEnd(5)} ${s.name.padEnd(28)} ${k.padEnd(21)} ${ms.toFixed(1).padStart(8)} ms ${(flops / ms / 1e6).toFixed(1).padStart(7)} GFLOP/s\n`,
        );
      }
      tf.dispose([x, w, y, dy]);
    }
  }
}

void main();
