/**
 * pycocotools' `maskUtils.iou` for boxes (`bbIou` in maskApi.c), same operations in the same order:
 * `w = min(dx + dw, gx + gw) - max(dx, gx)` (0 if `w <= 0`), likewise `h`, `i = w * h`, and
 * `u = crowd ? dArea : dArea + gArea - i` with areas `w * h` of the boxes (not the annotation's `area`).
 *
 * @param dtBox detection boxes, COCO `xywh` packed `[n * 4]`
 * @param dtRows the D detection rows to use (already score-sorted and truncated)
 * @param gtBox ground-truth boxes, COCO `xywh` packed `[n * 4]`
 * @param gtRows the G ground-truth rows, in the order the columns should have
 * @param gtCrowd per ground-truth row: 1 for crowd
 * @param out receives IoUs row-major `[D, G]` (`out[d * G + g]`); needs length ≥ D·G
 */
export function boxIou(
  dtBox: Float64Array,
  dtRows: ArrayLike<number>,
  D: number,
  gtBox: Float64Array,
  gtRows: ArrayLike<number>,
  G: number,
  gtCrowd: Uint8Array,
  out: Float64Array,
): void {
  for (let g = 0; g < G; g++) {
    const gr = gtRows[g] * 4;
    const gx = gtBox[gr],
      gy = gtBox[gr + 1],
      gw = gtBox[gr + 2],
      gh = gtBox[gr + 3];
    const ga = gw * gh;
    const gx2 = gw + gx;
    const gy2 = gh + gy;
    const crowd = gtCrowd[gtRows[g]] !== 0;
    for (let d = 0; d < D; d++) {
      const dr = dtRows[d] * 4;
      const dx = dtBox[dr],
        dy = dtBox[dr + 1],
        dw = dtBox[dr + 2],
        dh = dtBox[dr + 3];
      const o = d * G + g;
      out[o] = 0;
      const w = Math.min(dw + dx, gx2) - Math.max(dx, gx);
      if (w <= 0) continue;
      const h = Math.min(dh + dy, gy2) - Math.max(dy, gy);
      if (h <= 0) continue;
      const i = w * h;
      const da = dw * dh;
      out[o] = i / (crowd ? da : da + ga - i);
    }
  }
}
