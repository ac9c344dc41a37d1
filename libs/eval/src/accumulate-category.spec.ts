import {
  AccumulateScratch,
  accumulateCategory,
  CategoryDetections,
  stableOrderByScoreDesc,
} from './accumulate-category';
import { FLAG_IGNORED, FLAG_MATCHED } from './match-image';

/**
 * A literal transcription of pycocotools' accumulate loop for one category (ignored detections kept as repeated
 * points, `searchsorted` + try/except), the plain reference the optimised version must equal bit for bit.
 */
function reference(c: CategoryDetections, T: number, recThrs: number[], maxDets: number[], A: number) {
  const R = recThrs.length;
  const M = maxDets.length;
  const precision = new Float64Array(T * R * A * M).fill(-1);
  const recall = new Float64Array(T * A * M).fill(-1);
  for (let a = 0; a < A; a++) {
    for (let m = 0; m < M; m++) {
      const idx = Array.from({ length: c.n }, (_, i) => i).filter((i) => c.rank[i] < maxDets[m]);
      const order = idx.map((i, j) => [i, j]).sort((x, y) => c.score[y[0]] - c.score[x[0]] || x[1] - y[1]);
      const npig = c.npig[a];
      if (npig === 0) continue;
      for (let t = 0; t < T; t++) {
        let tp = 0;
        let fp = 0;
        const rc: number[] = [];
        const pr: number[] = [];
        for (const [i] of order) {
          const f = c.flags[(a * T + t) * c.n + i];
          if (f & FLAG_MATCHED && !(f & FLAG_IGNORED)) tp++;
          if (!(f & FLAG_MATCHED) && !(f & FLAG_IGNORED)) fp++;
          rc.push(tp / npig);
          pr.push(tp / (fp + tp + 2.220446049250313e-16));
        }
        recall[(t * A + a) * M + m] = rc.length ? rc[rc.length - 1] : 0;
        for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        const q = new Array(R).fill(0);
        for (let r = 0; r < R; r++) {
          let pi = 0;
          while (pi < rc.length && rc[pi] < recThrs[r]) pi++; // searchsorted(side='left')
          if (pi >= rc.length) break; // IndexError → except: pass
          q[r] = pr[pi];
        }
        for (let r = 0; r < R; r++) precision[((t * R + r) * A + a) * M + m] = q[r];
      }
    }
  }
  return { precision, recall };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('accumulateCategory', () => {
  const recThrs = Array.from({ length: 101 }, (_, i) => i * 0.01);

  it.each([1, 2, 3, 4, 5])('equals the literal pycocotools loop on random flags (seed %i)', (seed) => {
    const u = lcg(seed);
    const T = 3;
    const A = 2;
    const maxDets = [1, 3, 100];
    const n = 60;
    const c: CategoryDetections = {
      n,
      score: Float64Array.from({ length: n }, () => Math.round(u() * 20) / 20), // many ties
      // seed 5: every rank < 3, so maxDets 3 and 100 select the same detections (the reuse path)
      rank: Int32Array.from({ length: n }, () => Math.floor(u() * (seed === 5 ? 3 : 6))),
      flags: Uint8Array.from({ length: A * T * n }, () => {
        const v = u();
        return v < 0.3 ? FLAG_MATCHED : v < 0.45 ? FLAG_IGNORED : v < 0.5 ? FLAG_MATCHED | FLAG_IGNORED : 0;
      }),
      npig: Int32Array.from([seed % 3 === 0 ? 0 : 25, 7]),
    };
    c.flags.fill(FLAG_IGNORED, 0, 4); // leading ignored points: rc = pr = 0 before any counted detection
    const precision = new Float64Array(T * 101 * A * maxDets.length).fill(-1);
    const recall = new Float64Array(T * A * maxDets.length).fill(-1);
    accumulateCategory(c, T, recThrs, maxDets, A, { precision, recall, k: 0, K: 1 }, new AccumulateScratch());
    const ref = reference(c, T, recThrs, maxDets, A);
    expect(Array.from(precision)).toEqual(Array.from(ref.precision));
    expect(Array.from(recall)).toEqual(Array.from(ref.recall));
  });

  it('orders by descending score, ties in input order', () => {
    expect(Array.from(stableOrderByScoreDesc(Float64Array.from([0.5, 0.9, 0.5, 0.9, 0.1]), 5))).toEqual([
      1, 3, 0, 2, 4,
    ]);
  });
});
