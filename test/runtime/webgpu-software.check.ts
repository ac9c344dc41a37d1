/**
 * Child process for webgpu-software.spec.ts: runs conv2d, matmul and the conv weight gradient on the webgpu
 * backend (Dawn's software adapter: OpenGL ES on Mesa llvmpipe) and on cpu, and prints the relative errors as
 * JSON. A separate process because Mesa reads EGL_PLATFORM from the real environment (jest sandboxes
 * process.env) and Dawn's threads should not outlive the test.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initRuntime } from '@resdet/runtime';

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

async function run(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  const t = tf.tidy(f);
  const v = Float32Array.from(await t.data());
  t.dispose();
  return v;
}

/** max|a − b| / max(1, max|b|). */
function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  let m = 1;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return e / m;
}

async function main(): Promise<void> {
  const logs: string[] = [];
  await initRuntime({ backend: 'webgpu', webgpuSoftware: true, env: process.env, log: (m) => logs.push(m) });
  const x = seeded(2 * 9 * 9 * 5, 1);
  const w3 = seeded(3 * 3 * 5 * 6, 2);
  const w1 = seeded(6 * 4, 3);
  const conv = (): tf.Tensor =>
    tf.conv2d(
      tf.conv2d(tf.tensor4d(x, [2, 9, 9, 5]), tf.tensor4d(w3, [3, 3, 5, 6]), 2, 'same'),
      tf.tensor4d(w1, [1, 1, 6, 4]),
      1,
      'valid',
    );
  const a = seeded(17 * 33, 4);
  const b = seeded(33 * 9, 5);
  const matmul = (): tf.Tensor => tf.matMul(tf.tensor2d(a, [17, 33]), tf.tensor2d(b, [33, 9]));
  const xs = seeded(8 * 8 * 3, 6);
  const dy = seeded(4 * 4 * 4, 7);
  const filterGrad = (): tf.Tensor =>
    tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x: tf.tensor4d(xs, [1, 8, 8, 3]), dy: tf.tensor4d(dy, [1, 4, 4, 4]) },
      {
        strides: 2,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 3, 4],
      },
    ) as tf.Tensor;
  const errors: Record<string, number> = {};
  for (const [name, f] of Object.entries({ conv, matmul, filterGrad })) {
    errors[name] = relErr(await run('webgpu', f), await run('cpu', f));
  }
  process.stdout.write(JSON.stringify({ log: logs[0], errors }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stdout.write(JSON.stringify({ error: e.message }) + '\n');
    process.exit(1);
  },
);
