/**
 * PASCAL VOC average precision from a precision/recall curve (`voc_ap` of py-faster-rcnn / Detectron):
 * - VOC2007 11-point: mean over t in `np.arange(0, 1.1, 0.1)` (t = i · 0.1, so 0.30000000000000004 etc.) of the
 *   highest precision at recall ≥ t (0 if none);
 * - VOC2010+ (`use07Metric` false): the area under the precision envelope, with sentinels (0, 0) and (1, 0),
 *   summed over the points where recall changes.
 *
 * @param rec cumulative recall per detection in score order (non-decreasing)
 * @param prec cumulative precision per detection, same length
 */
export function vocAp(rec: ArrayLike<number>, prec: ArrayLike<number>, use07Metric: boolean): number {
  const n = rec.length;
  if (prec.length !== n) throw new RangeError(`vocAp: rec has ${n} points but prec has ${prec.length}`);
  if (use07Metric) {
    let ap = 0;
    for (let i = 0; i <= 10; i++) {
      const t = i * 0.1;
      let p = 0;
      let any = false;
      for (let j = 0; j < n; j++) {
        if (rec[j] >= t) {
          p = any ? Math.max(p, prec[j]) : prec[j];
          any = true;
        }
      }
      ap = ap + p / 11;
    }
    return ap;
  }
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mrec[n + 1] = 1;
  for (let j = 0; j < n; j++) {
    mrec[j + 1] = rec[j];
    mpre[j + 1] = prec[j];
  }
  for (let i = n + 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
  let ap = 0;
  for (let i = 0; i < n + 1; i++) if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
  return ap;
}
