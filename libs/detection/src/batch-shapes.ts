/** `[height, width]` in pixels. */
export type HW = readonly [number, number];

/** Sizes the RPN and RoI heads need from the transformed batch. */
export interface BatchShapes {
  /** The padded batch tensor's `[H, W]` (anchors are laid on this grid). */
  batchSize: HW;
  /** Each image's size after resizing, before padding (boxes are clipped to it). */
  imageSizes: readonly HW[];
}
