import type { DatasetIssue } from './data-error';

/**
 * One annotated image as every resdet reader returns it (COCO, VOC, the shapes generator's output read back).
 *
 * Boxes use the torchvision convention inside resdet: `xyxy` in absolute, continuous, 0-based pixel
 * coordinates of the stored image (before any EXIF rotation is taken into account by the annotator — datasets
 * annotate the image as displayed, and `readImage` applies EXIF orientation, so the two agree). A box covering
 * pixel columns 10..19 is `x1 = 10, x2 = 20`. VOC's 1-based inclusive coordinates are converted on read
 * (`x1 = xmin - 1, x2 = xmax`), COCO's `[x, y, w, h]` becomes `[x, y, x + w, y + h]`.
 *
 * Labels are contiguous, `1..K` (0 is background, as torchvision's Faster R-CNN expects); `categories` of the
 * dataset map them back to the original ids and names.
 *
 * All boxes of the image are kept, including COCO `iscrowd` regions and VOC `difficult` objects, with their
 * flags: evaluation needs them (crowd regions are matched as ignore regions, difficult objects are ignored by
 * VOC AP), training does not ({@link trainingTarget} drops them).
 */
export interface DetectionRecord {
  /** COCO image id; for VOC, the 1-based position of the image in the split list. */
  imageId: number;
  /** Short name: COCO `file_name`, VOC image id (`000005`). */
  name: string;
  /** Absolute path of the image file. */
  fileName: string;
  /** Width and height in pixels as annotated (COCO `width`/`height`, VOC `size`). */
  width: number;
  height: number;
  /** `[N * 4]` float32, `xyxy` absolute pixels, 0-based, torchvision convention. */
  boxes: Float32Array;
  /** `[N]` int32 contiguous labels `1..K`. */
  labels: Int32Array;
  /** `[N]` 1 where the box is a COCO crowd region, else 0. */
  iscrowd: Uint8Array;
  /** `[N]` 1 where the VOC object is marked difficult, else 0. */
  difficult: Uint8Array;
  /** COCO annotation ids, `[N]` (0 where the format has none, as in VOC). */
  annotationIds: Float64Array;
}

/** One class of a dataset: its contiguous training label, its id in the source format and its name. */
export interface Category {
  /** Contiguous label `1..K` used by the model. */
  label: number;
  /** Id in the source annotation (COCO `category_id`; for VOC, equal to the label). */
  id: number;
  name: string;
}

/** A whole split: its records, classes, and the non-fatal issues found while reading it. */
export interface DetectionDataset {
  /** `coco` or `voc`. */
  format: 'coco' | 'voc';
  /** The annotation file (COCO) or the split list (VOC) this split came from. */
  source: string;
  records: DetectionRecord[];
  categories: Category[];
  issues: DatasetIssue[];
}

/** The boxes and labels a model trains on. */
export interface TrainingTarget {
  /** `[N * 4]` float32 `xyxy` absolute pixels. */
  boxes: Float32Array;
  /** `[N]` int32 labels `1..K`. */
  labels: Int32Array;
}

/**
 * Boxes the model trains on: crowd regions are always dropped (torchvision's COCO reference does the same),
 * difficult objects are dropped unless `keepDifficult` is set.
 */
export function trainingTarget(
  record: DetectionRecord,
  opts: { keepDifficult?: boolean } = {},
): TrainingTarget {
  const n = record.labels.length;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    if (record.iscrowd[i]) continue;
    if (record.difficult[i] && !opts.keepDifficult) continue;
    keep.push(i);
  }
  const boxes = new Float32Array(keep.length * 4);
  const labels = new Int32Array(keep.length);
  keep.forEach((src, dst) => {
    boxes.set(record.boxes.subarray(src * 4, src * 4 + 4), dst * 4);
    labels[dst] = record.labels[src];
  });
  return { boxes, labels };
}
