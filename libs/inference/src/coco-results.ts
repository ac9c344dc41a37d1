import type { CocoResult } from '@resdet/eval';
import type { Box, Detection } from './detection-types';

/** A box as COCO's `[x, y, width, height]` (same pixels, no rounding). */
export function boxToXywh(b: Box): [number, number, number, number] {
  return [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1];
}

/**
 * One image's detections as COCO results (`bbox` xywh in original pixels). `categoryOf` gives the category id to
 * report; detections it maps to `undefined` (classes the dataset lacks) are left out.
 */
export function toCocoResults(
  dets: readonly Detection[],
  imageId: number,
  categoryOf: (d: Detection) => number | undefined,
): CocoResult[] {
  const out: CocoResult[] = [];
  for (const d of dets) {
    const categoryId = categoryOf(d);
    if (categoryId === undefined) continue;
    out.push({ image_id: imageId, category_id: categoryId, bbox: boxToXywh(d.box), score: d.score });
  }
  return out;
}
