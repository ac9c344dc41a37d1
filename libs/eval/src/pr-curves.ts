import { CocoAccumulation } from './coco-evaluator';
import { CategoryAp } from './per-category';
import { PrPlot } from './pr-curve-svg';
import { pyFixed } from './py-format';

/** A plot and the file name it should be written to. */
export interface NamedPrPlot {
  file: string;
  plot: PrPlot;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60);
}

/**
 * COCO precision-recall curves (area all, maxDets 100), one series per IoU threshold: `pr-all` averages the
 * categories that have ground truth, and one `pr-<id>-<name>` plot per such category.
 */
export function cocoPrPlots(acc: CocoAccumulation, perCategory: readonly CategoryAp[]): NamedPrPlot[] {
  const p = acc.params;
  const [T, R, K, A, M] = acc.counts;
  const a = Math.max(0, p.areaRngLbl.indexOf('all'));
  const m100 = p.maxDets.indexOf(100);
  const m = m100 >= 0 ? m100 : M - 1;
  const at = (t: number, r: number, k: number): number =>
    acc.precision[(((t * R + r) * K + k) * A + a) * M + m];
  const label = (t: number): string => `IoU=${pyFixed(p.iouThrs[t], 2)}`;
  const out: NamedPrPlot[] = [];
  const meanSeries = [];
  for (let t = 0; t < T; t++) {
    const prec = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      let s = 0;
      let n = 0;
      for (let k = 0; k < K; k++) {
        const v = at(t, r, k);
        if (v > -1) {
          s += v;
          n++;
        }
      }
      prec[r] = n ? s / n : -1;
    }
    meanSeries.push({ label: label(t), precision: prec });
  }
  const meanAp = perCategory.filter((c) => c.ap > -1);
  const mAp = meanAp.length ? meanAp.reduce((s, c) => s + c.ap, 0) / meanAp.length : -1;
  out.push({
    file: 'pr-all.png',
    plot: {
      title: `P-R curve, all categories (AP ${pyFixed(mAp, 3)})`,
      recall: p.recThrs,
      series: meanSeries,
    },
  });
  perCategory.forEach((c, k) => {
    if (c.ap <= -1) return;
    const series = [];
    for (let t = 0; t < T; t++) {
      const prec = new Float64Array(R);
      for (let r = 0; r < R; r++) prec[r] = at(t, r, k);
      series.push({ label: label(t), precision: prec });
    }
    out.push({
      file: `pr-${c.catId}-${slug(c.name)}.png`,
      plot: {
        title: `P-R curve, ${c.name} (id ${c.catId}, AP ${pyFixed(c.ap, 3)})`,
        recall: p.recThrs,
        series,
      },
    });
  });
  return out;
}
