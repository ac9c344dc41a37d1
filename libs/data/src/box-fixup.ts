import type { DatasetIssue } from './data-error';

/**
 * Checks one `xyxy` box against its image: a box reaching outside `[0, width] × [0, height]` by more than
 * `tolerance` pixels is reported and clipped (torchvision's COCO reference clamps the same way); a box with
 * no area after clipping is reported and must be dropped (returns `undefined`).
 */
export function fixBox(
  box: [number, number, number, number],
  width: number,
  height: number,
  where: { file: string; field: string },
  issues: DatasetIssue[],
  tolerance = 0.01,
): [number, number, number, number] | undefined {
  let [x1, y1, x2, y2] = box;
  if (x1 < -tolerance || y1 < -tolerance || x2 > width + tolerance || y2 > height + tolerance) {
    issues.push({
      kind: 'box-outside',
      ...where,
      message: `box [${box.join(', ')}] (xyxy, 0-based) reaches outside the ${width}x${height} image; clipped`,
    });
  }
  x1 = Math.min(Math.max(x1, 0), width);
  x2 = Math.min(Math.max(x2, 0), width);
  y1 = Math.min(Math.max(y1, 0), height);
  y2 = Math.min(Math.max(y2, 0), height);
  if (!(x2 > x1 && y2 > y1)) {
    issues.push({
      kind: 'box-degenerate',
      ...where,
      message: `degenerate box [${box.join(', ')}] (xyxy, 0-based, no area inside the image) dropped`,
    });
    return undefined;
  }
  return [x1, y1, x2, y2];
}
