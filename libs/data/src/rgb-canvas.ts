import type { Rng } from '@resdet/random';
import type { RgbImage } from './image-io';

// Local aliases: hot loops below call these per pixel, and global lookups are slow inside vm contexts (jest).
const { floor, ceil, min, max, round, sin, cos, hypot } = Math;

/** An RGB colour with channels in [0, 255]. */
export type Rgb = [number, number, number];

/**
 * A float RGB drawing surface for the shapes generator: anti-aliased polygon fill by scanline supersampling,
 * thick lines, gradients and noise, all deterministic (no font or SVG renderer whose output could change
 * with a library version). `data` is `[height, width, 3]` float32 in [0, 255]; {@link toImage} rounds to uint8.
 *
 * @example
 * const c = new RgbCanvas(64, 64);
 * c.fill([255, 255, 255]);
 * const box = c.fillPolygon([8, 8, 40, 8, 40, 40, 8, 40], () => [255, 0, 0]); // [8, 8, 40, 40]
 */
export class RgbCanvas {
  readonly data: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }

  fill(c: Rgb): void {
    for (let i = 0; i < this.width * this.height; i++) this.data.set(c, i * 3);
  }

  /** Linear gradient from `c0` to `c1` along `angle` (radians), across the whole canvas. */
  linearGradient(c0: Rgb, c1: Rgb, angle: number): void {
    const dx = cos(angle),
      dy = sin(angle);
    const span = Math.abs(dx) * this.width + Math.abs(dy) * this.height;
    const x0 = dx < 0 ? this.width : 0,
      y0 = dy < 0 ? this.height : 0;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const t = ((x + 0.5 - x0) * dx + (y + 0.5 - y0) * dy) / span;
        const o = (y * this.width + x) * 3;
        for (let k = 0; k < 3; k++) this.data[o + k] = c0[k] + (c1[k] - c0[k]) * t;
      }
    }
  }

  /** Adds a smooth wave `amp · sin(fx·x + fy·y + phase)` to all channels (low-frequency texture). */
  addWave(amp: number, fx: number, fy: number, phase: number): void {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const v = amp * sin(fx * x + fy * y + phase);
        const o = (y * this.width + x) * 3;
        this.data[o] += v;
        this.data[o + 1] += v;
        this.data[o + 2] += v;
      }
    }
  }

  /**
   * Adds zero-mean noise of standard deviation `sigma` to every channel of every pixel: a triangular
   * distribution (sum of two uniforms) from a xorshift stream seeded by `rng`, cheap enough for every pixel.
   */
  addNoise(rng: Rng, sigma: number): void {
    let x = (floor(rng.uniform() * 4294967296) | 1) >>> 0;
    const scale = (sigma * Math.sqrt(6)) / 4294967296; // var of (u1 + u2 - 1) is 1/6
    for (let i = 0; i < this.data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const a = x >>> 0;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.data[i] += (a + (x >>> 0) - 4294967296) * scale;
    }
  }

  /** Mean colour of the pixels inside `[x1, y1, x2, y2)` (clipped to the canvas). */
  meanColour(x1: number, y1: number, x2: number, y2: number): Rgb {
    const xa = max(0, floor(x1)),
      xb = min(this.width, ceil(x2));
    const ya = max(0, floor(y1)),
      yb = min(this.height, ceil(y2));
    const s: Rgb = [0, 0, 0];
    let n = 0;
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        const o = (y * this.width + x) * 3;
        s[0] += this.data[o];
        s[1] += this.data[o + 1];
        s[2] += this.data[o + 2];
        n++;
      }
    }
    return n ? [s[0] / n, s[1] / n, s[2] / n] : s;
  }

  /**
   * Fills a flat polygon `[x0, y0, x1, y1, …]` (pixel coordinates, pixel (i, j) covers [i, i+1) × [j, j+1))
   * with `ss × ss` samples per pixel (even–odd rule), blending `colour(x, y)` by the covered fraction.
   * Returns the tight box `[x1, y1, x2, y2]` (integer pixel edges) of the pixels covered at least half, or
   * `undefined` when no pixel is.
   */
  fillPolygon(
    poly: readonly number[],
    colour: (x: number, y: number) => Rgb,
    ss = 3,
  ): [number, number, number, number] | undefined {
    const n = poly.length / 2;
    let ymin = Infinity,
      ymax = -Infinity,
      xmin = Infinity,
      xmax = -Infinity;
    for (let i = 0; i < n; i++) {
      xmin = min(xmin, poly[2 * i]);
      xmax = max(xmax, poly[2 * i]);
      ymin = min(ymin, poly[2 * i + 1]);
      ymax = max(ymax, poly[2 * i + 1]);
    }
    const px0 = max(0, floor(xmin)),
      px1 = min(this.width, ceil(xmax));
    const py0 = max(0, floor(ymin)),
      py1 = min(this.height, ceil(ymax));
    if (px1 <= px0 || py1 <= py0) return undefined;
    const bw = px1 - px0;
    const cover = new Float32Array(bw * (py1 - py0));
    const w = 1 / (ss * ss);
    const xs: number[] = [];
    for (let sy = py0 * ss; sy < py1 * ss; sy++) {
      const yc = (sy + 0.5) / ss;
      xs.length = 0;
      for (let i = 0; i < n; i++) {
        const ax = poly[2 * i],
          ay = poly[2 * i + 1];
        const j = (i + 1) % n;
        const bx = poly[2 * j],
          by = poly[2 * j + 1];
        if ((ay <= yc && by > yc) || (by <= yc && ay > yc)) xs.push(ax + ((yc - ay) * (bx - ax)) / (by - ay));
      }
      xs.sort((a, b) => a - b);
      const row = (floor(sy / ss) - py0) * bw;
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const m0 = max(px0 * ss, ceil(xs[k] * ss - 0.5));
        const m1 = min(px1 * ss - 1, ceil(xs[k + 1] * ss - 0.5) - 1);
        for (let m = m0; m <= m1; m++) cover[row + floor(m / ss) - px0] += w;
      }
    }
    let bx1 = Infinity,
      by1 = Infinity,
      bx2 = -Infinity,
      by2 = -Infinity;
    for (let y = py0; y < py1; y++) {
      for (let x = px0; x < px1; x++) {
        const c = cover[(y - py0) * bw + x - px0];
        if (c <= 0) continue;
        const col = colour(x + 0.5, y + 0.5);
        const o = (y * this.width + x) * 3;
        for (let k = 0; k < 3; k++) this.data[o + k] += (col[k] - this.data[o + k]) * min(1, c);
        if (c >= 0.5 - 1e-6) {
          bx1 = min(bx1, x);
          by1 = min(by1, y);
          bx2 = max(bx2, x + 1);
          by2 = max(by2, y + 1);
        }
      }
    }
    return bx2 > bx1 ? [bx1, by1, bx2, by2] : undefined;
  }

  /** A straight line of the given width from (x0, y0) to (x1, y1), drawn as a filled quad. */
  line(x0: number, y0: number, x1: number, y1: number, width: number, colour: Rgb): void {
    const len = hypot(x1 - x0, y1 - y0) || 1;
    const nx = (-(y1 - y0) / len) * (width / 2),
      ny = ((x1 - x0) / len) * (width / 2);
    this.fillPolygon([x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny], () => colour);
  }

  /** Rounds and clamps to an 8-bit RGB image (`[height, width, 3]` uint8). */
  toImage(): RgbImage {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = max(0, min(255, round(this.data[i])));
    return { data: out, width: this.width, height: this.height };
  }
}
