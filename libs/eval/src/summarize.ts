import { CocoAccumulation } from './coco-evaluator';
import { numpyMean } from './numpy-sum';
import { pyFixed } from './py-format';

/** Names of pycocotools' 12 bbox summary numbers, in its order. */
export const COCO_STAT_NAMES = Object.freeze([
  'AP',
  'AP50',
  'AP75',
  'APs',
  'APm',
  'APl',
  'AR1',
  'AR10',
  'AR100',
  'ARs',
  'ARm',
  'ARl',
]);

/** One summary number and its pycocotools line. */
export interface SummaryStat {
  value: number;
  line: string;
}

function pad(s: string, w: number, left: boolean): string {
  return left ? s.padEnd(w) : s.padStart(w);
}

/**
 * pycocotools' `_summarize(ap, iouThr, areaRng, maxDets)`: the mean of the selected precision (AP) or recall (AR)
 * entries that are > -1, or -1 if none, and its line, e.g.
 * ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.182`.
 * Values are gathered in numpy's C order (t, r, k) and summed as numpy does.
 */
export function summarizeOne(
  acc: CocoAccumulation,
  ap: boolean,
  iouThr: number | undefined,
  areaLbl: string,
  maxDets: number,
): SummaryStat {
  const p = acc.params;
  const [T, R, K, A, M] = acc.counts;
  const tSel: number[] = [];
  for (let t = 0; t < T; t++) if (iouThr === undefined || p.iouThrs[t] === iouThr) tSel.push(t);
  const aind = p.areaRngLbl.indexOf(areaLbl);
  const mind = p.maxDets.indexOf(maxDets);
  const vals: number[] = [];
  if (aind >= 0 && mind >= 0) {
    for (const t of tSel) {
      if (ap) {
        for (let r = 0; r < R; r++) {
          for (let k = 0; k < K; k++) {
            const v = acc.precision[(((t * R + r) * K + k) * A + aind) * M + mind];
            if (v > -1) vals.push(v);
          }
        }
      } else {
        for (let k = 0; k < K; k++) {
          const v = acc.recall[((t * K + k) * A + aind) * M + mind];
          if (v > -1) vals.push(v);
        }
      }
    }
  }
  const value = vals.length === 0 ? -1 : numpyMean(vals);
  const title = ap ? 'Average Precision' : 'Average Recall';
  const type = ap ? '(AP)' : '(AR)';
  const iouStr =
    iouThr === undefined ? `${pyFixed(p.iouThrs[0], 2)}:${pyFixed(p.iouThrs[T - 1], 2)}` : pyFixed(iouThr, 2);
  const line =
    ` ${pad(title, 18, true)} ${type} @[ IoU=${pad(iouStr, 9, true)} | area=${pad(areaLbl, 6, false)} | ` +
    `maxDets=${pad(String(maxDets), 3, false)} ] = ${pyFixed(value, 3)}`;
  return { value, line };
}

/**
 * pycocotools' `summarize()` for bbox: the 12 stats (AP, AP50, AP75, APs/m/l, AR1, AR10, AR100, ARs/m/l) with
 * `maxDets[0..2]` as pycocotools uses them, and the 12 printed lines.
 */
export function summarizeCoco(acc: CocoAccumulation): { stats: number[]; lines: string[] } {
  const md = acc.params.maxDets;
  const m2 = md[2] ?? md[md.length - 1];
  const specs: [boolean, number | undefined, string, number][] = [
    [true, undefined, 'all', 100],
    [true, 0.5, 'all', m2],
    [true, 0.75, 'all', m2],
    [true, undefined, 'small', m2],
    [true, undefined, 'medium', m2],
    [true, undefined, 'large', m2],
    [false, undefined, 'all', md[0]],
    [false, undefined, 'all', md[1] ?? md[md.length - 1]],
    [false, undefined, 'all', m2],
    [false, undefined, 'small', m2],
    [false, undefined, 'medium', m2],
    [false, undefined, 'large', m2],
  ];
  const out = specs.map(([ap, iou, area, m]) => summarizeOne(acc, ap, iou, area, m));
  return { stats: out.map((o) => o.value), lines: out.map((o) => o.line) };
}
