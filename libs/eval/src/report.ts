import { CategoryAp } from './per-category';
import { numpyMean } from './numpy-sum';
import { pyFixed } from './py-format';

/** A row of a per-class AP table: a name, an id and any number of metric columns (-1 prints as "-"). */
export interface ApTableRow {
  name: string;
  id: string | number;
  values: number[];
}

/**
 * A fixed-width per-class table with a final mean row (mean over the entries > -1 of each column, as the COCO
 * summary does). Values print with 3 decimals; -1 (no ground truth) prints as "-".
 *
 * @example
 * formatApTable(['AP', 'AP50'], [{ name: 'person', id: 1, values: [0.371, 0.562] }]);
 * // class      id      AP    AP50
 * // person      1   0.371   0.562
 * // mean            0.371   0.562
 */
export function formatApTable(columns: readonly string[], rows: readonly ApTableRow[]): string {
  const nameW = Math.max(5, ...rows.map((r) => r.name.length)) + 2;
  const idW = Math.max(2, ...rows.map((r) => String(r.id).length)) + 1;
  const cell = (v: number): string => (v > -1 ? pyFixed(v, 3) : '-').padStart(8);
  const head = 'class'.padEnd(nameW) + 'id'.padStart(idW) + columns.map((c) => c.padStart(8)).join('');
  const body = rows.map(
    (r) => r.name.padEnd(nameW) + String(r.id).padStart(idW) + r.values.map(cell).join(''),
  );
  const means = columns.map((_, j) => {
    const v = rows.map((r) => r.values[j]).filter((x) => x > -1);
    return v.length ? numpyMean(v) : -1;
  });
  const mean = 'mean'.padEnd(nameW) + ''.padStart(idW) + means.map(cell).join('');
  return [head, ...body, mean].join('\n');
}

/** The COCO per-category table: AP@[.5:.95], AP50, AP75 at area all, maxDets 100. */
export function formatCocoCategoryTable(perCategory: readonly CategoryAp[]): string {
  return formatApTable(
    ['AP', 'AP50', 'AP75'],
    perCategory.map((c) => ({ name: c.name, id: c.catId, values: [c.ap, c.ap50, c.ap75] })),
  );
}

/**
 * The `--json` document of the `eval` command (ARCHITECTURE.md contract):
 * `{"stats": [12 numbers, pycocotools order], "per_category": {"<catId>": AP@[.5:.95]}}`.
 */
export function cocoJsonReport(
  stats: readonly number[],
  perCategory: readonly CategoryAp[],
): {
  stats: number[];
  per_category: Record<string, number>;
} {
  const per: Record<string, number> = {};
  for (const c of perCategory) per[String(c.catId)] = c.ap;
  return { stats: [...stats], per_category: per };
}
