/**
 * A deterministic COCO-val-sized evaluation case for bench/eval.ts: 5,000 images, 80 categories (COCO's ids),
 * ~7.6 ground-truth boxes per image (about 1% crowd, `area` ≈ 0.7·w·h like a mask area), ~90 detections per
 * image (jittered copies of the ground truth, some with the wrong class, plus false positives), scores with
 * 3 decimals so ties occur.
 */
import type { CocoDataset, CocoResult } from '@resdet/eval';

/** mulberry32: a tiny seeded generator (the bench must not load tensor libs). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COCO_IDS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33,
  34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
  62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
];

export interface EvalCase {
  gt: CocoDataset;
  dt: CocoResult[];
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

/** Builds the case; the same seed gives the same JSON. */
export function makeEvalCase(seed = 2017, numImages = 5000, dtPerImage = 90): EvalCase {
  const u = rng(seed);
  const gt: CocoDataset = {
    images: [],
    annotations: [],
    categories: COCO_IDS.map((id) => ({ id, name: `class_${id}`, supercategory: 'thing' })),
  };
  const dt: CocoResult[] = [];
  let annId = 1;
  for (let i = 0; i < numImages; i++) {
    const imageId = 100000 + i * 7;
    const W = 640,
      H = 480;
    gt.images.push({ id: imageId, width: W, height: H, file_name: `${imageId}.jpg` });
    const n = Math.floor(u() * 16.2); // mean ~7.6
    const boxes: { c: number; b: number[] }[] = [];
    for (let j = 0; j < n; j++) {
      const c = COCO_IDS[Math.floor(Math.pow(u(), 1.5) * COCO_IDS.length)];
      const s = Math.exp(Math.log(8) + u() * (Math.log(400) - Math.log(8)));
      const w = r2(s * (0.5 + u())),
        h = r2(s * (0.5 + u()));
      const x = r2(u() * Math.max(1, W - w)),
        y = r2(u() * Math.max(1, H - h));
      const crowd = u() < 0.01 ? 1 : 0;
      gt.annotations.push({
        id: annId++,
        image_id: imageId,
        category_id: c,
        bbox: [x, y, w, h],
        area: r2(w * h * 0.7),
        iscrowd: crowd,
      });
      boxes.push({ c, b: [x, y, w, h] });
    }
    let made = 0;
    for (const { c, b } of boxes) {
      const copies = 1 + Math.floor(u() * 4);
      for (let k = 0; k < copies && made < dtPerImage; k++, made++) {
        const jit = 0.25 * u();
        const w = Math.max(1, b[2] * (1 + jit * (u() - 0.5)));
        const h = Math.max(1, b[3] * (1 + jit * (u() - 0.5)));
        const cat = u() < 0.1 ? COCO_IDS[Math.floor(u() * COCO_IDS.length)] : c;
        dt.push({
          image_id: imageId,
          category_id: cat,
          bbox: [r2(b[0] + jit * b[2] * (u() - 0.5)), r2(b[1] + jit * b[3] * (u() - 0.5)), r2(w), r2(h)],
          score: Math.round((0.3 + 0.7 * u() * (1 - jit)) * 1000) / 1000,
        });
      }
    }
    const target = dtPerImage - 5 + Math.floor(u() * 11);
    for (; made < target; made++) {
      const s = 8 + u() * 300;
      const w = r2(s * (0.5 + u())),
        h = r2(s * (0.5 + u()));
      dt.push({
        image_id: imageId,
        category_id: COCO_IDS[Math.floor(Math.pow(u(), 1.5) * COCO_IDS.length)],
        bbox: [r2(u() * (W - w / 2)), r2(u() * (H - h / 2)), w, h],
        score: Math.round(0.05 + 0.5 * u() * u() * 1000) / 1000,
      });
    }
  }
  return { gt, dt };
}
