/**
 * RoIAlign exactly like torchvision 0.14's CPU kernel (`torchvision.ops.roi_align`), on NHWC features.
 *
 * For RoI `(b, x1, y1, x2, y2)` (image coordinates) and output `ph×pw`: the box is scaled by `spatialScale`
 * (minus 0.5 if `aligned`); unless aligned, width/height are at least 1; each bin is sampled on a
 * `gh×gw` grid (`samplingRatio`, or `ceil(roiSize / outputSize)` when ≤ 0) at
 * `start + p·bin + (i + .5)·bin/g`. A sample with `y < -1 || y > H || x < -1 || x > W` contributes 0 (but still
 * counts); otherwise coordinates ≤ 0 become 0, and a low corner at ≥ `H-1` / `W-1` snaps to the last row/column.
 * The bin value is the mean of the bilinear samples. All host arithmetic is float32 in the kernel's order.
 *
 * {@link roiAlign} precomputes, per output cell, the (feature index, weight) pairs on the host — the sampling is
 * separable, so each cell's weights are products of a y-list and an x-list — and applies them with a
 * differentiable weighted gather ({@link weightedGather}). {@link roiAlignReference} is the plain kernel port.
 *
 * @example
 * // features [N, H, W, C] at stride 16; rois [R, 5] = (batchIndex, x1, y1, x2, y2) in image pixels
 * const pooled = roiAlign(features, rois, { outputSize: 14, spatialScale: 1 / 16, samplingRatio: 2 }); // [R, 14, 14, C]
 */
import * as tf from '@tensorflow/tfjs-core';
import { GatherPlan, LevelGatherPlan, weightedGather } from './weighted-gather';

const f = Math.fround;

export interface RoiAlignOptions {
  /** `ph×pw` output (a number means square). */
  outputSize: number | readonly [number, number];
  /** Feature stride reciprocal, e.g. 1/16. */
  spatialScale: number;
  /** Samples per bin axis; ≤ 0 means adaptive `ceil(roiSize / outputSize)`. torchvision's detection uses 2. */
  samplingRatio: number;
  /** Half-pixel offset; torchvision's Faster R-CNN uses `false`. */
  aligned?: boolean;
}

/** `[N, H, W]` of an NHWC feature map (C is not needed to plan). */
export type FeatureDims = readonly [number, number, number];

/** `[ph, pw]` from a size option. */
export function pairSize(s: number | readonly [number, number]): [number, number] {
  return typeof s === 'number' ? [s, s] : [s[0], s[1]];
}

/** One axis of one bin: merged (coordinate, weight) pairs, already divided by the grid count of that axis. */
interface AxisTaps {
  pos: number[];
  w: number[];
}

interface RoiGeometry {
  batch: number;
  startW: number;
  startH: number;
  binW: number;
  binH: number;
  gridW: number;
  gridH: number;
}

function roiGeometry(
  rois: Float32Array,
  r: number,
  n: number,
  ph: number,
  pw: number,
  o: RoiAlignOptions,
): RoiGeometry {
  const batch = rois[5 * r];
  if (!(Number.isInteger(batch) && batch >= 0 && batch < n)) {
    throw new Error(`roiAlign: rois[${r}] has batch index ${batch}, features have N = ${n}`);
  }
  const scale = f(o.spatialScale);
  const offset = o.aligned ? 0.5 : 0;
  const startW = f(f(rois[5 * r + 1] * scale) - offset);
  const startH = f(f(rois[5 * r + 2] * scale) - offset);
  const endW = f(f(rois[5 * r + 3] * scale) - offset);
  const endH = f(f(rois[5 * r + 4] * scale) - offset);
  let roiW = f(endW - startW);
  let roiH = f(endH - startH);
  if (!o.aligned) {
    roiW = Math.max(roiW, 1);
    roiH = Math.max(roiH, 1);
  }
  const binH = f(roiH / ph);
  const binW = f(roiW / pw);
  const gridH = o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(binH);
  const gridW = o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(binW);
  return { batch, startW, startH, binW, binH, gridW, gridH };
}

/** Sample coordinate `start + p·bin + (i + .5)·bin/g`, float32 in the kernel's order. */
function samplePos(start: number, p: number, bin: number, i: number, g: number): number {
  return f(f(start + f(p * bin)) + f(f((i + 0.5) * bin) / g));
}

/** Bilinear taps of one coordinate along an axis of length `len`; null when the sample is outside. */
function taps(v: number, len: number): [number, number, number, number] | null {
  if (v < -1 || v > len) return null;
  if (v <= 0) v = 0;
  let lo = Math.floor(v);
  let hi: number;
  if (lo >= len - 1) {
    hi = lo = len - 1;
    v = lo;
  } else {
    hi = lo + 1;
  }
  const l = f(v - lo);
  return [lo, hi, f(1 - l), l];
}

function axisTaps(start: number, p: number, bin: number, g: number, len: number): AxisTaps {
  const acc = new Map<number, number>();
  for (let i = 0; i < g; i++) {
    const t = taps(samplePos(start, p, bin, i, g), len);
    if (!t) continue;
    acc.set(t[0], (acc.get(t[0]) ?? 0) + t[2]);
    acc.set(t[1], (acc.get(t[1]) ?? 0) + t[3]);
  }
  const pos = [...acc.keys()];
  return { pos, w: pos.map((q) => (acc.get(q) as number) / g) };
}

/**
 * Host-side sampling plan of RoIAlign on one feature map: per output cell `(r, ph, pw)` (row-major, the output's
 * NHWC order) the flat feature indices and weights. `rows` maps planned cells to output rows (identity when
 * `rowOffset` is 0 and `roiRows` absent).
 * @param roiRows optional output RoI position of each RoI (for multi-level pooling in original order).
 */
export function roiAlignPlan(
  dims: FeatureDims,
  rois: Float32Array,
  o: RoiAlignOptions,
  roiRows?: ArrayLike<number>,
): LevelGatherPlan {
  const [n, h, w] = dims;
  const [ph, pw] = pairSize(o.outputSize);
  if (rois.length % 5 !== 0)
    throw new Error(`roiAlign: rois has length ${rois.length}, expected [R, 5] (batch, x1, y1, x2, y2)`);
  const numRois = rois.length / 5;
  const cells = numRois * ph * pw;
  const ys: AxisTaps[][] = [];
  const xs: AxisTaps[][] = [];
  const batch: number[] = [];
  let k = 1;
  for (let r = 0; r < numRois; r++) {
    const g = roiGeometry(rois, r, n, ph, pw, o);
    batch.push(g.batch);
    const ry: AxisTaps[] = [];
    const rx: AxisTaps[] = [];
    for (let p = 0; p < ph; p++) ry.push(axisTaps(g.startH, p, g.binH, g.gridH, h));
    for (let p = 0; p < pw; p++) rx.push(axisTaps(g.startW, p, g.binW, g.gridW, w));
    for (const a of ry) for (const b of rx) k = Math.max(k, a.pos.length * b.pos.length);
    ys.push(ry);
    xs.push(rx);
  }
  const idx = new Int32Array(cells * k);
  const wt = new Float32Array(cells * k);
  const rows = new Int32Array(cells);
  let cell = 0;
  for (let r = 0; r < numRois; r++) {
    const outRoi = roiRows ? roiRows[r] : r;
    for (let py = 0; py < ph; py++) {
      const ay = ys[r][py];
      for (let px = 0; px < pw; px++) {
        const ax = xs[r][px];
        rows[cell] = (outRoi * ph + py) * pw + px;
        let e = cell * k;
        for (let i = 0; i < ay.pos.length; i++) {
          const base = (batch[r] * h + ay.pos[i]) * w;
          for (let j = 0; j < ax.pos.length; j++) {
            idx[e] = base + ax.pos[j];
            wt[e++] = ay.w[i] * ax.w[j];
          }
        }
        cell++;
      }
    }
  }
  return { rows, idx, w: wt, k };
}

/**
 * RoIAlign on an NHWC tensor, differentiable w.r.t. `features`.
 * @param features `[N, H, W, C]` float32.
 * @param rois `[R, 5]` flat `(batchIndex, x1, y1, x2, y2)` in image pixels.
 * @returns `[R, ph, pw, C]`.
 */
export function roiAlign(features: tf.Tensor4D, rois: Float32Array, o: RoiAlignOptions): tf.Tensor4D {
  const [n, h, w, c] = features.shape;
  const [ph, pw] = pairSize(o.outputSize);
  const plan = roiAlignPlan([n, h, w], rois, o);
  const numRows = (rois.length / 5) * ph * pw;
  const gathered: GatherPlan = { numRows, levels: [plan] };
  return tf.tidy(() => tf.reshape(weightedGather([features], gathered), [rois.length / 5, ph, pw, c]));
}

/**
 * Plain port of torchvision's CPU `roi_align_forward_kernel_impl` (float32 arithmetic, same loop order) on host
 * NHWC data — the reference {@link roiAlign} is tested against.
 * @param data `[N, H, W, C]` flat. @returns `[R, ph, pw, C]` flat.
 */
export function roiAlignReference(
  data: Float32Array,
  shape: readonly [number, number, number, number],
  rois: Float32Array,
  o: RoiAlignOptions,
): Float32Array {
  const [n, h, w, c] = shape;
  const [ph, pw] = pairSize(o.outputSize);
  const numRois = rois.length / 5;
  const out = new Float32Array(numRois * ph * pw * c);
  for (let r = 0; r < numRois; r++) {
    const g = roiGeometry(rois, r, n, ph, pw, o);
    const count = Math.max(g.gridH * g.gridW, 1);
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const acc = new Float32Array(c);
        for (let iy = 0; iy < g.gridH; iy++) {
          const ty = taps(samplePos(g.startH, py, g.binH, iy, g.gridH), h);
          for (let ix = 0; ix < g.gridW; ix++) {
            const tx = taps(samplePos(g.startW, px, g.binW, ix, g.gridW), w);
            if (!ty || !tx) continue; // kernel: the whole sample is zero
            const [yl, yh, hy, ly] = ty;
            const [xl, xh, hx, lx] = tx;
            const w1 = f(hy * hx),
              w2 = f(hy * lx),
              w3 = f(ly * hx),
              w4 = f(ly * lx);
            const p1 = ((g.batch * h + yl) * w + xl) * c;
            const p2 = ((g.batch * h + yl) * w + xh) * c;
            const p3 = ((g.batch * h + yh) * w + xl) * c;
            const p4 = ((g.batch * h + yh) * w + xh) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = f(
                f(f(f(w1 * data[p1 + ch]) + f(w2 * data[p2 + ch])) + f(w3 * data[p3 + ch])) +
                  f(w4 * data[p4 + ch]),
              );
              acc[ch] = f(acc[ch] + v);
            }
          }
        }
        const base = ((r * ph + py) * pw + px) * c;
        for (let ch = 0; ch < c; ch++) out[base + ch] = f(acc[ch] / count);
      }
    }
  }
  return out;
}
