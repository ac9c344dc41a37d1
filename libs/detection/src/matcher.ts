/**
 * Matcher: assigns each prediction (anchor/proposal) to a ground-truth box, like torchvision's
 * `_utils.Matcher`.
 *
 * The quality matrix is `[M gt, N predictions]` row-major (e.g. {@link boxIou}(gt, anchors)). Each prediction
 * takes its best GT (first index on ties, like torch's CPU `max(dim=0)`); quality `< low` → `BELOW_LOW_THRESHOLD`
 * (-1), `[low, high)` → `BETWEEN_THRESHOLDS` (-2). With `allowLowQualityMatches`, every prediction that ties
 * for some GT's best quality (exact float equality, all ties kept) gets its best GT back, even if low.
 *
 * @example
 * const rpnMatcher = new Matcher(0.7, 0.3, true);
 * const matches = rpnMatcher.match(boxIou(gtBoxes, anchors), gtCount, anchorCount); // Int32Array [N]
 */
export const BELOW_LOW_THRESHOLD = -1;
export const BETWEEN_THRESHOLDS = -2;

export class Matcher {
  static readonly BELOW_LOW_THRESHOLD = BELOW_LOW_THRESHOLD;
  static readonly BETWEEN_THRESHOLDS = BETWEEN_THRESHOLDS;

  constructor(
    readonly highThreshold: number,
    readonly lowThreshold: number,
    readonly allowLowQualityMatches = false,
  ) {
    if (!(lowThreshold <= highThreshold)) {
      throw new Error(`Matcher: lowThreshold (${lowThreshold}) must be <= highThreshold (${highThreshold})`);
    }
  }

  /**
   * @param quality `[M, N]` row-major match quality (gt × predictions).
   * @returns `[N]` matched GT index in `[0, M)`, or -1 / -2.
   */
  match(quality: Float32Array, m: number, n: number): Int32Array {
    if (quality.length !== m * n) {
      throw new Error(`Matcher: quality matrix has ${quality.length} entries, expected ${m} × ${n}`);
    }
    if (m === 0)
      throw new Error('Matcher: no ground-truth boxes available for one of the images during training');
    if (n === 0)
      throw new Error('Matcher: no proposal boxes available for one of the images during training');
    const matches = new Int32Array(n);
    const allMatches = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      let best = quality[j];
      let arg = 0;
      for (let i = 1; i < m; i++) {
        const v = quality[i * n + j];
        if (v > best) {
          best = v;
          arg = i;
        }
      }
      allMatches[j] = arg;
      matches[j] =
        best < this.lowThreshold ? BELOW_LOW_THRESHOLD : best < this.highThreshold ? BETWEEN_THRESHOLDS : arg;
    }
    if (this.allowLowQualityMatches) this.setLowQualityMatches(matches, allMatches, quality, m, n);
    return matches;
  }

  /** For each GT, every prediction with exactly that GT's highest quality gets its best GT back. */
  private setLowQualityMatches(
    matches: Int32Array,
    allMatches: Int32Array,
    q: Float32Array,
    m: number,
    n: number,
  ): void {
    for (let i = 0; i < m; i++) {
      const row = i * n;
      let highest = -Infinity;
      for (let j = 0; j < n; j++) if (q[row + j] > highest) highest = q[row + j];
      for (let j = 0; j < n; j++) if (q[row + j] === highest) matches[j] = allMatches[j];
    }
  }
}
