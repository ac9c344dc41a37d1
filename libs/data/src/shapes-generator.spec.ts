import { Rng } from '@resdet/random';
import { generateShapeSample, resolveShapesOptions, shapeSampleRng } from './shapes-generator';
import { DEFAULT_SHAPE_CLASSES, polygonArea, unitPolygon } from './shape-polygons';

describe('shapes generator', () => {
  const opts = resolveShapesOptions();

  it('defaults to a learnable task: 128×128, four classes, 1–4 objects of 16–64 px', () => {
    expect(opts).toMatchObject({
      width: 128,
      height: 128,
      minObjects: 1,
      maxObjects: 4,
      minObjectSize: 16,
      maxObjectSize: 64,
    });
    expect(DEFAULT_SHAPE_CLASSES).toEqual(['circle', 'cross', 'square', 'triangle']);
  });

  it('is deterministic for a seed and differs between seeds and splits', () => {
    const a = generateShapeSample(shapeSampleRng(5, 'train', 3), opts);
    const b = generateShapeSample(shapeSampleRng(5, 'train', 3), opts);
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    expect(a.objects).toEqual(b.objects);
    const c = generateShapeSample(shapeSampleRng(6, 'train', 3), opts);
    const d = generateShapeSample(shapeSampleRng(5, 'val', 3), opts);
    expect(Buffer.from(a.image.data).equals(Buffer.from(c.image.data))).toBe(false);
    expect(Buffer.from(a.image.data).equals(Buffer.from(d.image.data))).toBe(false);
  });

  it('keeps every box inside the image, with labels, sizes and overlaps in range, over many images', () => {
    const sides: number[] = [];
    const counts = new Set<number>();
    const labels = new Set<number>();
    let overlapping = 0;
    for (let i = 0; i < 60; i++) {
      const s = generateShapeSample(shapeSampleRng(1, 'train', i), opts);
      expect(s.image.data.length).toBe(128 * 128 * 3);
      counts.add(s.objects.length);
      for (const o of s.objects) {
        const [x1, y1, x2, y2] = o.box;
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(128);
        expect(y2).toBeLessThanOrEqual(128);
        expect(x2 - x1).toBeGreaterThanOrEqual(8);
        expect(o.shape).toBe(DEFAULT_SHAPE_CLASSES[o.label - 1]);
        labels.add(o.label);
        sides.push(Math.max(x2 - x1, y2 - y1));
      }
      for (let a = 0; a < s.objects.length; a++) {
        for (let b = a + 1; b < s.objects.length; b++) {
          const p = s.objects[a].box,
            q = s.objects[b].box;
          if (Math.min(p[2], q[2]) > Math.max(p[0], q[0]) && Math.min(p[3], q[3]) > Math.max(p[1], q[1]))
            overlapping++;
        }
      }
    }
    expect([...labels].sort()).toEqual([1, 2, 3, 4]);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...counts)).toBe(4);
    expect(Math.min(...sides)).toBeLessThan(24); // small objects occur …
    expect(Math.max(...sides)).toBeGreaterThan(56); // … and large ones
    expect(overlapping).toBeGreaterThan(0); // objects do overlap sometimes
  });

  it('draws the object where its box is: the box interior differs from the background around it', () => {
    const o = resolveShapesOptions({
      minLines: 0,
      maxLines: 0,
      maxNoise: 1,
      minObjects: 1,
      maxObjects: 1,
      classes: ['square'],
    });
    const s = generateShapeSample(new Rng(11), o);
    const [x1, y1, x2, y2] = s.objects[0].box;
    const px = (x: number, y: number) =>
      Array.from(s.image.data.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3));
    const centre = px(Math.floor((x1 + x2) / 2), Math.floor((y1 + y2) / 2));
    const outside = px(x1 > 2 ? x1 - 2 : x2 + 1, Math.floor((y1 + y2) / 2));
    expect(
      Math.hypot(centre[0] - outside[0], centre[1] - outside[1], centre[2] - outside[2]),
    ).toBeGreaterThan(40);
  });

  it('rejects options that cannot work, naming them', () => {
    expect(() => resolveShapesOptions({ width: 8 })).toThrow(/size must be integers ≥ 16/);
    expect(() => resolveShapesOptions({ classes: ['hexagon' as never] })).toThrow(/unknown class hexagon/);
    expect(() => resolveShapesOptions({ width: 64, height: 64, maxObjectSize: 80 })).toThrow(
      /maxObjectSize 80 does not fit/,
    );
  });

  it('has unit polygons of the expected areas (hand-checked)', () => {
    expect(polygonArea(unitPolygon('square'))).toBeCloseTo(1, 12);
    expect(polygonArea(unitPolygon('triangle'))).toBeCloseTo(0.5, 12);
    expect(polygonArea(unitPolygon('cross'))).toBeCloseTo(2 * 0.34 - 0.34 * 0.34, 12);
    expect(polygonArea(unitPolygon('circle'))).toBeCloseTo(Math.PI / 4, 2);
  });
});
