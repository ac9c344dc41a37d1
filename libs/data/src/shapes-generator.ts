import { Rng } from '@resdet/random';
import type { RgbImage } from './image-io';
import { RgbCanvas, type Rgb } from './rgb-canvas';
import {
  DEFAULT_SHAPE_CLASSES,
  SHAPE_CLASSES,
  polygonArea,
  polygonExtent,
  unitPolygon,
  type ShapeClass,
} from './shape-polygons';

/** What one generated image looks like. Sizes are in pixels. */
export interface ShapesOptions {
  /** Image size; default 128 × 128. */
  width: number;
  height: number;
  /** Classes, in label order (label k = classes[k-1]); default {@link DEFAULT_SHAPE_CLASSES}. */
  classes: readonly ShapeClass[];
  /** Objects per image, inclusive range; default 1..4. */
  minObjects: number;
  maxObjects: number;
  /** Object size (longer side of its box before rotation), inclusive range, drawn log-uniformly;
   * default 1/8 .. 1/2 of the shorter image side (16..64 px at 128 × 128). */
  minObjectSize: number;
  maxObjectSize: number;
  /** Largest allowed overlap of two objects' boxes, as intersection over the smaller box's area; default 0.35. */
  maxOverlap: number;
  /** Distractor lines per image, inclusive range; default 2..7. */
  minLines: number;
  maxLines: number;
  /** Largest per-pixel noise standard deviation (uniform in [1, maxNoise]); default 10. */
  maxNoise: number;
}

/** One drawn object: label, tight box and outline. */
export interface ShapeObject {
  /** Contiguous label 1..K (index into `classes` + 1). */
  label: number;
  shape: ShapeClass;
  /** `[x1, y1, x2, y2]` integer pixel edges, tight around the pixels the shape covers at least half. */
  box: [number, number, number, number];
  /** Outline as a flat `[x0, y0, …]` polygon in pixel coordinates (COCO `segmentation`). */
  polygon: number[];
  /** Area of the outline polygon in pixels² (COCO `area`). */
  area: number;
}

export interface ShapeSample {
  image: RgbImage;
  objects: ShapeObject[];
}

/** Fills in defaults and checks ranges; throws a RangeError naming the option. */
export function resolveShapesOptions(opts: Partial<ShapesOptions> = {}): ShapesOptions {
  const width = opts.width ?? 128,
    height = opts.height ?? 128;
  const short = Math.min(width, height);
  const r: ShapesOptions = {
    width,
    height,
    classes: opts.classes ?? DEFAULT_SHAPE_CLASSES,
    minObjects: opts.minObjects ?? 1,
    maxObjects: opts.maxObjects ?? 4,
    minObjectSize: opts.minObjectSize ?? Math.max(6, Math.round(short / 8)),
    maxObjectSize: opts.maxObjectSize ?? Math.round(short / 2),
    maxOverlap: opts.maxOverlap ?? 0.35,
    minLines: opts.minLines ?? 2,
    maxLines: opts.maxLines ?? 7,
    maxNoise: opts.maxNoise ?? 10,
  };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`shapes: ${what}`);
  };
  check(
    Number.isInteger(width) && Number.isInteger(height) && width >= 16 && height >= 16,
    `size must be integers ≥ 16, got ${width}x${height}`,
  );
  check(r.classes.length >= 1, 'classes must not be empty');
  for (const c of r.classes)
    check(
      (SHAPE_CLASSES as readonly string[]).includes(c),
      `unknown class ${c}; valid: ${SHAPE_CLASSES.join(', ')}`,
    );
  check(new Set(r.classes).size === r.classes.length, `classes must be distinct, got ${r.classes.join(',')}`);
  check(
    r.minObjects >= 0 && r.maxObjects >= r.minObjects,
    `objects range ${r.minObjects}..${r.maxObjects} is invalid`,
  );
  check(
    r.minObjectSize >= 4 && r.maxObjectSize >= r.minObjectSize,
    `object size range ${r.minObjectSize}..${r.maxObjectSize} is invalid`,
  );
  check(
    r.maxObjectSize <= short - 2,
    `maxObjectSize ${r.maxObjectSize} does not fit a ${width}x${height} image`,
  );
  check(r.maxOverlap >= 0 && r.maxOverlap <= 1, `maxOverlap must be in [0, 1], got ${r.maxOverlap}`);
  return r;
}

/**
 * Draws one image of the shapes task: a background (linear gradient between two random colours, a
 * low-frequency wave, distractor lines), then 1–4 filled shapes of random colour (unrelated to class, chosen
 * to contrast with what lies under them), sizes from small to large, partly overlapping, some lines over the
 * shapes, and per-pixel noise. Everything comes from `rng`, so a seed gives the same image and boxes.
 *
 * @example
 * const sample = generateShapeSample(new Rng(7), resolveShapesOptions({ width: 128, height: 128 }));
 * sample.objects[0].box; // [x1, y1, x2, y2], integer pixel edges
 */
export function generateShapeSample(rng: Rng, o: ShapesOptions): ShapeSample {
  const { width: W, height: H } = o;
  const canvas = new RgbCanvas(W, H);
  canvas.linearGradient(randomColour(rng), randomColour(rng), rng.range(0, 2 * Math.PI));
  canvas.addWave(rng.range(5, 25), rng.range(-0.15, 0.15), rng.range(-0.15, 0.15), rng.range(0, 2 * Math.PI));
  const nLines = o.minLines + rng.int(o.maxLines - o.minLines + 1);
  const linesOnTop = rng.int(Math.min(2, nLines) + 1);
  for (let i = 0; i < nLines - linesOnTop; i++) randomLine(canvas, rng);

  const nObjects = o.minObjects + rng.int(o.maxObjects - o.minObjects + 1);
  const objects: ShapeObject[] = [];
  const placed: [number, number, number, number][] = [];
  for (let i = 0; i < nObjects; i++) {
    const labelIndex = rng.int(o.classes.length);
    const shape = o.classes[labelIndex];
    const poly = placeShape(rng, o, shape, placed);
    if (!poly) continue;
    const ext = polygonExtent(poly);
    const under = canvas.meanColour(...ext);
    const base = contrastingColour(rng, under);
    const shade = rng.range(-0.25, 0.25),
      sa = rng.range(0, 2 * Math.PI);
    const cx = (ext[0] + ext[2]) / 2,
      cy = (ext[1] + ext[3]) / 2,
      half = Math.max(1, (ext[2] - ext[0]) / 2);
    const colour = (x: number, y: number): Rgb => {
      const t = 1 + (shade * ((x - cx) * Math.cos(sa) + (y - cy) * Math.sin(sa))) / half;
      return [base[0] * t, base[1] * t, base[2] * t];
    };
    const box = canvas.fillPolygon(poly, colour);
    if (!box) continue;
    placed.push(ext);
    objects.push({
      label: labelIndex + 1,
      shape,
      box,
      polygon: poly.map((v) => Math.round(v * 100) / 100),
      area: polygonArea(poly),
    });
  }
  for (let i = 0; i < linesOnTop; i++) randomLine(canvas, rng, 1.5);
  canvas.addNoise(rng, rng.range(1, Math.max(1, o.maxNoise)));
  return { image: canvas.toImage(), objects };
}

/** Tries up to 40 positions for a shape that keeps the overlap limit; returns its polygon in pixels. */
function placeShape(
  rng: Rng,
  o: ShapesOptions,
  shape: ShapeClass,
  placed: [number, number, number, number][],
): number[] | undefined {
  const unit = unitPolygon(shape);
  for (let attempt = 0; attempt < 40; attempt++) {
    const size = Math.exp(rng.range(Math.log(o.minObjectSize), Math.log(o.maxObjectSize + 1)));
    const aspect = Math.exp(rng.range(-0.15, 0.15));
    const sx = size * Math.min(1, aspect),
      sy = size * Math.min(1, 1 / aspect);
    const angle = shape === 'circle' ? 0 : rng.range(-0.3, 0.3);
    const c = Math.cos(angle),
      s = Math.sin(angle);
    const local: number[] = [];
    for (let i = 0; i < unit.length; i += 2) {
      const x = unit[i] * sx,
        y = unit[i + 1] * sy;
      local.push(x * c - y * s, x * s + y * c);
    }
    const [lx1, ly1, lx2, ly2] = polygonExtent(local);
    const freeX = o.width - 2 - (lx2 - lx1),
      freeY = o.height - 2 - (ly2 - ly1);
    if (freeX < 0 || freeY < 0) continue;
    const dx = 1 + rng.range(0, freeX) - lx1,
      dy = 1 + rng.range(0, freeY) - ly1;
    const poly = local.map((v, i) => v + (i % 2 === 0 ? dx : dy));
    const ext = polygonExtent(poly);
    if (placed.every((p) => overlapOverSmaller(p, ext) <= o.maxOverlap)) return poly;
  }
  return undefined;
}

function overlapOverSmaller(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r: number[]) => (r[2] - r[0]) * (r[3] - r[1]);
  return (iw * ih) / Math.min(area(a), area(b));
}

function randomColour(rng: Rng): Rgb {
  return [rng.range(0, 256), rng.range(0, 256), rng.range(0, 256)];
}

/** A random colour at least 110 (Euclidean, RGB) away from `under`; the farthest of 12 tries otherwise. */
function contrastingColour(rng: Rng, under: Rgb): Rgb {
  let best = randomColour(rng),
    bestD = -1;
  for (let i = 0; i < 12; i++) {
    const c = i === 0 ? best : randomColour(rng);
    const d = Math.hypot(c[0] - under[0], c[1] - under[1], c[2] - under[2]);
    if (d > bestD) [best, bestD] = [c, d];
    if (d >= 110) break;
  }
  return best;
}

function randomLine(canvas: RgbCanvas, rng: Rng, maxWidth = 3): void {
  const W = canvas.width,
    H = canvas.height;
  canvas.line(
    rng.range(-10, W + 10),
    rng.range(-10, H + 10),
    rng.range(-10, W + 10),
    rng.range(-10, H + 10),
    rng.range(0.8, maxWidth),
    randomColour(rng),
  );
}

/** The generator for image `index` of a split: independent of other images, so any image can be redrawn alone. */
export function shapeSampleRng(seed: number, split: 'train' | 'val', index: number): Rng {
  const h =
    Math.imul((seed >>> 0) ^ 0x27d4eb2f, 0x165667b1) ^
    Math.imul(index + 1, 0x9e3779b1) ^
    (split === 'val' ? 0x5bd1e995 : 0);
  return new Rng(h >>> 0);
}
