import { AnnotationTable } from './annotation-table';

/**
 * Rows of a table grouped by (category, image) like pycocotools' `_gts[imgId, catId]` lists, as CSR:
 * group `g = k * numImages + i` holds `rows[offsets[g] .. offsets[g + 1])`, in input order inside a group.
 * Rows whose image or category is not evaluated are dropped. With `useCats` false there is one pooled
 * category (K = 1) and each image's rows are ordered by category (in `catIds` order) and then input order,
 * like `[_ for cId in p.catIds for _ in self._gts[imgId, cId]]`.
 */
export interface GroupedRows {
  readonly numImages: number;
  readonly numGroups: number;
  readonly offsets: Int32Array;
  readonly rows: Int32Array;
}

/**
 * Stable counting sort of rows by (category index, image index).
 * @param imgIndex map image id → index in the sorted evaluated image ids
 * @param catIndex map category id → index in the sorted evaluated category ids
 */
export function groupRows(
  t: AnnotationTable,
  imgIndex: ReadonlyMap<number, number>,
  catIndex: ReadonlyMap<number, number>,
  useCats: boolean,
): GroupedRows {
  const I = imgIndex.size;
  const Kc = catIndex.size;
  const numKeys = I * Kc;
  const key = new Int32Array(t.n);
  const counts = new Int32Array(numKeys + 1);
  let kept = 0;
  for (let r = 0; r < t.n; r++) {
    const i = imgIndex.get(t.imageId[r]);
    const k = catIndex.get(t.categoryId[r]);
    if (i === undefined || k === undefined) {
      key[r] = -1;
      continue;
    }
    // fine key: category-major when categories are kept apart, image-major when pooled
    const fk = useCats ? k * I + i : i * Kc + k;
    key[r] = fk;
    counts[fk + 1]++;
    kept++;
  }
  for (let g = 0; g < numKeys; g++) counts[g + 1] += counts[g];
  const rows = new Int32Array(kept);
  const fill = counts.slice(0, numKeys);
  for (let r = 0; r < t.n; r++) {
    const fk = key[r];
    if (fk >= 0) rows[fill[fk]++] = r;
  }
  if (useCats) return { numImages: I, numGroups: numKeys, offsets: counts, rows };
  const offsets = new Int32Array(I + 1);
  for (let i = 0; i <= I; i++) offsets[i] = counts[i * Kc];
  return { numImages: I, numGroups: I, offsets, rows };
}
