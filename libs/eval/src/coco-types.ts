/** A COCO image record (only `id` is used by the evaluator). */
export interface CocoImage {
  id: number;
  width?: number;
  height?: number;
  file_name?: string;
}

/** A COCO category record. */
export interface CocoCategory {
  id: number;
  name?: string;
  supercategory?: string;
}

/**
 * A COCO ground-truth annotation. `bbox` is `[x, y, w, h]` in absolute pixels; `area` is the annotation's own
 * area (a mask area in real COCO, not w·h) and is what the area ranges test; `iscrowd` marks crowd regions.
 * pycocotools overwrites any `ignore` field with `iscrowd`, so `ignore` has no effect here either.
 */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[];
  area: number;
  iscrowd?: number | boolean;
  ignore?: number | boolean;
}

/** A COCO ground-truth file (`instances_*.json`). */
export interface CocoDataset {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
  info?: unknown;
  licenses?: unknown;
}

/** One record of a COCO results file: `bbox` is `[x, y, w, h]` in absolute pixels of the original image. */
export interface CocoResult {
  image_id: number;
  category_id: number;
  bbox: number[];
  score: number;
  [extra: string]: unknown;
}
