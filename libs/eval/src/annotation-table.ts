/**
 * Boxes of one kind (ground truth or detections) as parallel typed arrays, one row per record in input order.
 * `box` is `[n * 4]` COCO `xywh` absolute pixels. For detections `area` is w·h (as `loadRes` sets it), `crowd`
 * is all 0 and `id` is the 1-based position in the results list; for ground truth they come from the file.
 */
export interface AnnotationTable {
  readonly n: number;
  readonly id: Float64Array;
  readonly imageId: Float64Array;
  readonly categoryId: Float64Array;
  readonly box: Float64Array;
  readonly area: Float64Array;
  /** 1 for `iscrowd` ground truth (always ignored; IoU against it is intersection / detection area). */
  readonly crowd: Uint8Array;
  /** Detection confidence; zeros for ground truth. */
  readonly score: Float64Array;
}

/** Allocates an empty table with room for `n` rows. */
export function allocTable(n: number): AnnotationTable {
  return {
    n,
    id: new Float64Array(n),
    imageId: new Float64Array(n),
    categoryId: new Float64Array(n),
    box: new Float64Array(n * 4),
    area: new Float64Array(n),
    crowd: new Uint8Array(n),
    score: new Float64Array(n),
  };
}
