import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerResdetKernels } from './register';
import { reverseWasm } from './reverse';
import { sliceWasm } from './slice';
import { KERNEL_RTOL, relativeError, seededFloats, seededInt } from './testing';
import { tileWasm } from './tile';
import { transposeWasm } from './transpose';

/**
 * resdet's wasm Slice, Tile, Reverse and Transpose move bits: they must give exactly tfjs-cpu's result (every
 * dtype, shapes with size-1 and merged axes, the 2-D-blocked transpose path) — compared as raw bytes.
 */

type Case = { x: () => tf.Tensor; op: (x: tf.Tensor) => tf.Tensor };

function bytes(t: tf.Tensor): Uint8Array {
  const d = t.dataSync();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
}

async function onBoth(c: Case): Promise<{ cpu: Uint8Array; wasm: Uint8Array; shapes: string[] }> {
  const out: Uint8Array[] = [];
  const shapes: string[] = [];
  for (const b of ['cpu', 'wasm']) {
    await tf.setBackend(b);
    const y = tf.tidy(() => c.op(c.x()));
    out.push(bytes(y));
    shapes.push(`${y.dtype} [${y.shape}]`);
    y.dispose();
  }
  return { cpu: out[0], wasm: out[1], shapes };
}

function randomShape(seed: number, rank: number): number[] {
  return [...Array(rank).keys()].map((d) => seededInt(seed + d, 1, d === rank - 1 ? 40 : 7));
}

function randomTensor(shape: number[], seed: number, dtype: 'float32' | 'int32' | 'bool'): tf.Tensor {
  const v = seededFloats(
    shape.reduce((a, b) => a * b, 1),
    seed,
  );
  if (dtype === 'float32') return tf.tensor(v, shape);
  if (dtype === 'int32')
    return tf.tensor(
      Int32Array.from(v, (f) => Math.round(f * 1e6)),
      shape,
      'int32',
    );
  return tf.tensor(
    Uint8Array.from(v, (f) => (f > 0 ? 1 : 0)),
    shape,
    'bool',
  );
}

const DTYPES = ['float32', 'int32', 'bool'] as const;

function cases(): [string, Case][] {
  const out: [string, Case][] = [];
  for (let i = 0; i < 24; i++) {
    const s = 900 + 17 * i;
    const rank = 1 + (i % 5);
    const shape = randomShape(s, rank);
    const dtype = DTYPES[i % 3];
    const x = () => randomTensor(shape, s, dtype);
    const perm = [...Array(rank).keys()].sort(
      (a, b) => seededFloats(1, s + a)[0] - seededFloats(1, s + b)[0],
    );
    out.push([`transpose ${dtype} [${shape}] perm [${perm}]`, { x, op: (t) => tf.transpose(t, perm) }]);
    const begin = shape.map((n, d) => seededInt(s + 10 + d, 0, n - 1));
    const size = shape.map((n, d) => seededInt(s + 20 + d, 1, n - begin[d]));
    out.push([
      `slice ${dtype} [${shape}] at [${begin}] size [${size}]`,
      { x, op: (t) => tf.slice(t, begin, size) },
    ]);
    const axes = [...Array(rank).keys()].filter((d) => seededInt(s + 30 + d, 0, 1) === 1);
    out.push([`reverse ${dtype} [${shape}] axes [${axes}]`, { x, op: (t) => tf.reverse(t, axes) }]);
    const reps = shape.map((_, d) => seededInt(s + 40 + d, 1, 3));
    out.push([`tile ${dtype} [${shape}] reps [${reps}]`, { x, op: (t) => tf.tile(t, reps) }]);
  }
  // The training step's shapes, scaled down: a filter's flip + in/out swap, a big 2-D transpose (several
  // 32×32 blocks and a ragged edge), a row block of a gradient, the FPN's nearest 2× upsampling broadcast.
  const f = () => randomTensor([3, 3, 40, 70], 1, 'float32');
  out.push(['reverse filter [3,3,40,70] axes [0,1]', { x: f, op: (t) => tf.reverse(t, [0, 1]) }]);
  out.push([
    'transpose filter [3,3,40,70] perm [0,1,3,2]',
    { x: f, op: (t) => tf.transpose(t, [0, 1, 3, 2]) },
  ]);
  const m = () => randomTensor([100, 257], 2, 'float32');
  out.push(['transpose [100,257] perm [1,0]', { x: m, op: (t) => tf.transpose(t, [1, 0]) }]);
  out.push(['slice [100,257] rows 30..70', { x: m, op: (t) => tf.slice(t, [30, 0], [40, 257]) }]);
  out.push([
    'broadcastTo [6,5,1,8] → [6,5,2,8]',
    { x: () => randomTensor([6, 5, 1, 8], 3, 'float32'), op: (t) => tf.broadcastTo(t, [6, 5, 2, 8]) },
  ]);
  out.push(['scalar transpose', { x: () => tf.scalar(3.5), op: (t) => tf.transpose(t, []) }]);
  out.push(['empty slice', { x: m, op: (t) => tf.slice(t, [3, 0], [0, 257]) }]);
  out.push(['tile with reps 0', { x: m, op: (t) => tf.tile(t, [0, 2]) }]);
  return out;
}

describe('wasm Slice, Tile, Reverse, Transpose (resdet overrides) are bit-identical to tfjs-cpu', () => {
  beforeAll(() => {
    registerResdetKernels();
  });

  it('are the kernels registered for wasm', () => {
    expect(tf.getKernel('Slice', 'wasm')?.kernelFunc).toBe(sliceWasm);
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc).toBe(tileWasm);
    expect(tf.getKernel('Reverse', 'wasm')?.kernelFunc).toBe(reverseWasm);
    expect(tf.getKernel('Transpose', 'wasm')?.kernelFunc).toBe(transposeWasm);
  });

  it("leave tfjs's kernels that transpose inside wasm working (Sum over a leading axis)", async () => {
    const { cpu, wasm } = await onBoth({
      x: () => randomTensor([4, 6, 5], 7, 'float32'),
      op: (t) => tf.sum(t, [0, 1]),
    });
    // (the two backends sum in different orders: equal to rounding)
    expect(relativeError(new Float32Array(wasm.buffer), new Float32Array(cpu.buffer))).toBeLessThan(
      KERNEL_RTOL,
    );
  });

  it.each(cases())('%s', async (_, c) => {
    const { cpu, wasm, shapes } = await onBoth(c);
    expect(shapes[1]).toEqual(shapes[0]);
    expect(Buffer.compare(Buffer.from(wasm), Buffer.from(cpu))).toBe(0);
  });

  it('keep NaN payloads and -0 (bits, not numbers, are moved)', async () => {
    const raw = new Uint32Array([0x7fc00001, 0xffc12345, 0x80000000, 0x3f800000, 0x7f800000, 0x00000001]);
    await tf.setBackend('wasm');
    const x = tf.tensor(new Float32Array(raw.buffer), [2, 3]);
    const y = tf.transpose(tf.reverse(tf.slice(tf.tile(x, [2, 1]), [1, 0], [2, 3]), [1]), [1, 0]);
    const got = new Uint32Array(Float32Array.from(y.dataSync()).buffer);
    // tile → rows [r0, r1, r0, r1]; slice rows 1..2 → [r1, r0]; reverse columns; transpose.
    const r = (row: number, col: number) => raw[row * 3 + (2 - col)];
    expect(Array.from(got)).toEqual([r(1, 0), r(0, 0), r(1, 1), r(0, 1), r(1, 2), r(0, 2)]);
    tf.dispose([x, y]);
  });
});
