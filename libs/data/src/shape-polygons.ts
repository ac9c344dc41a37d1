/** The shape classes the generator can draw. */
export const SHAPE_CLASSES = ['circle', 'cross', 'square', 'star', 'triangle'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/**
 * The default task: four classes told apart by outline only (colour is random per object), in alphabetical
 * order so COCO ids and VOC label order agree (label 1 = circle … 4 = triangle).
 */
export const DEFAULT_SHAPE_CLASSES: readonly ShapeClass[] = ['circle', 'cross', 'square', 'triangle'];

/**
 * Outline of a shape class as a flat `[x0, y0, x1, y1, …]` polygon inside the unit box `[-0.5, 0.5]²`,
 * centred on the origin, counter-clockwise in y-down image coordinates. Circles are 48-gons.
 */
export function unitPolygon(shape: ShapeClass): number[] {
  switch (shape) {
    case 'circle':
      return regular(48, 0.5, 0);
    case 'square':
      return [-0.5, -0.5, 0.5, -0.5, 0.5, 0.5, -0.5, 0.5];
    case 'triangle': {
      // Equilateral, pointing up, fitted to the unit box's height; width is scaled to fill the box.
      return [0, -0.5, 0.5, 0.5, -0.5, 0.5];
    }
    case 'cross': {
      const t = 0.17; // half the arm thickness
      return [
        -t,
        -0.5,
        t,
        -0.5,
        t,
        -t,
        0.5,
        -t,
        0.5,
        t,
        t,
        t,
        t,
        0.5,
        -t,
        0.5,
        -t,
        t,
        -0.5,
        t,
        -0.5,
        -t,
        -t,
        -t,
      ];
    }
    case 'star': {
      const pts: number[] = [];
      for (let i = 0; i < 10; i++) {
        const r = i % 2 === 0 ? 0.5 : 0.21;
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        pts.push(r * Math.cos(a), r * Math.sin(a));
      }
      return pts;
    }
    default: {
      const never: never = shape;
      throw new Error(`unknown shape class ${String(never)}; valid: ${SHAPE_CLASSES.join(', ')}`);
    }
  }
}

function regular(n: number, r: number, phase: number): number[] {
  const pts: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = phase + (2 * Math.PI * i) / n;
    pts.push(r * Math.cos(a), r * Math.sin(a));
  }
  return pts;
}

/** Shoelace area of a flat polygon (absolute value). */
export function polygonArea(poly: readonly number[]): number {
  let s = 0;
  const n = poly.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    s += poly[2 * i] * poly[2 * j + 1] - poly[2 * j] * poly[2 * i + 1];
  }
  return Math.abs(s) / 2;
}

/** Axis-aligned extent `[x1, y1, x2, y2]` of a flat polygon. */
export function polygonExtent(poly: readonly number[]): [number, number, number, number] {
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (let i = 0; i < poly.length; i += 2) {
    x1 = Math.min(x1, poly[i]);
    x2 = Math.max(x2, poly[i]);
    y1 = Math.min(y1, poly[i + 1]);
    y2 = Math.max(y2, poly[i + 1]);
  }
  return [x1, y1, x2, y2];
}
