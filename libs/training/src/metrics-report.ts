import { COCO_STAT_NAMES, type CocoEvalResult } from '@resdet/eval';

/** `metrics.json`: pycocotools' 12 numbers (named and as a list) and per-category AP/AP50/AP75. */
export interface MetricsReport {
  iteration: number;
  stats: number[];
  named: Record<string, number>;
  per_category: Record<string, { name: string; AP: number; AP50: number; AP75: number }>;
  lines: string[];
}

/** COCO stats by name (`AP`, `AP50`, …). */
export function namedStats(stats: readonly number[]): Record<string, number> {
  return Object.fromEntries(COCO_STAT_NAMES.map((n, i) => [n, stats[i]]));
}

export function metricsReport(r: CocoEvalResult, iteration: number): MetricsReport {
  const per: MetricsReport['per_category'] = {};
  for (const c of r.perCategory)
    per[String(c.catId)] = { name: c.name, AP: c.ap, AP50: c.ap50, AP75: c.ap75 };
  return {
    iteration,
    stats: [...r.stats],
    named: namedStats(r.stats),
    per_category: per,
    lines: [...r.lines],
  };
}
