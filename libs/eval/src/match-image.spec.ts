import { FLAG_IGNORED, FLAG_MATCHED, ImageMatchInput, matchImage, MatchScratch } from './match-image';

/** Runs one image with IoUs given as a D×G table and returns flags per threshold. */
function run(
  ious: number[][],
  gt: { area: number; crowd?: number; id?: number }[],
  dtArea: number[],
  iouThrs: number[],
  aRng: [number, number] = [0, 1e10],
) {
  const D = ious.length;
  const G = gt.length;
  const inp: ImageMatchInput = {
    D,
    G,
    ious: Float64Array.from(ious.flat()),
    gtArea: Float64Array.from(gt.map((g) => g.area)),
    gtCrowd: Uint8Array.from(gt.map((g) => g.crowd ?? 0)),
    gtId: Float64Array.from(gt.map((g, i) => g.id ?? i + 1)),
    dtArea: Float64Array.from(dtArea),
    aMin: aRng[0],
    aMax: aRng[1],
    iouThrs,
  };
  const out = new Uint8Array(iouThrs.length * D);
  const npig = matchImage(inp, new MatchScratch(), out, 0, D);
  return { npig, flags: iouThrs.map((_, t) => Array.from(out.subarray(t * D, (t + 1) * D))) };
}

const M = FLAG_MATCHED;
const I = FLAG_IGNORED;

describe('matchImage (evaluateImg)', () => {
  it('matches greedily in score order: a better-scored detection takes the gt first', () => {
    // d0 overlaps g0 .6; d1 overlaps g0 .9 but comes second: g0 goes to d0, d1 is a FP
    expect(run([[0.6], [0.9]], [{ area: 100 }], [100, 100], [0.5]).flags).toEqual([[M, 0]]);
  });

  it('takes the best free gt, and the threshold decides per IoU level', () => {
    // d0: g0 .55, g1 .8 → g1 at .5; at .75 also g1; at .85 nothing
    expect(run([[0.55, 0.8]], [{ area: 1 }, { area: 1 }], [1], [0.5, 0.75, 0.85]).flags).toEqual([
      [M],
      [M],
      [0],
    ]);
  });

  it('prefers a non-ignored gt over a better ignored one', () => {
    // g0 is a crowd (ignored, sorted last), g1 regular: d0 IoU .9 with the crowd, .6 with g1 → g1
    const r = run([[0.9, 0.6]], [{ area: 1, crowd: 1 }, { area: 1 }], [1], [0.5]);
    expect(r.flags).toEqual([[M]]);
    expect(r.npig).toBe(1);
  });

  it('marks a detection matched to an ignored gt as ignored, and lets a crowd match several', () => {
    expect(run([[0.9], [0.8]], [{ area: 1, crowd: 1 }], [1, 1], [0.5]).flags).toEqual([[M | I, M | I]]);
  });

  it('ignores unmatched detections outside the area range, but not matched ones', () => {
    // range [0, 50]: g0 area 40 counts; d0 (area 400) matches it → TP; d1 (area 400) unmatched → ignored;
    // d2 (area 10) unmatched → FP
    const r = run([[0.9], [0.1], [0]], [{ area: 40 }], [400, 400, 10], [0.5], [0, 50]);
    expect(r.flags).toEqual([[M, I, 0]]);
    expect(r.npig).toBe(1);
  });

  it('treats a match to a gt with id 0 as no match, as pycocotools does (dtMatches == 0)', () => {
    expect(run([[0.9]], [{ area: 1, id: 0 }], [1], [0.5]).flags).toEqual([[0]]);
  });

  it('caps the threshold at 1 - 1e-10 so that IoU 1 matches at threshold 1', () => {
    expect(run([[1]], [{ area: 1 }], [1], [1]).flags).toEqual([[M]]);
  });
});
