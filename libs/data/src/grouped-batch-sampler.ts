import type { DetectionRecord } from './detection-record';

/**
 * Aspect-ratio group of each record, as torchvision's `create_aspect_ratio_groups(dataset, k)`: bins at
 * `2 ** linspace(-1, 1, 2k + 1)` over `width / height`, group = `bisect_right(bins, ratio)`. `k = 0` puts all
 * images in one group. Uses the annotated sizes, so no image is decoded.
 */
export function aspectRatioGroups(
  records: readonly Pick<DetectionRecord, 'width' | 'height'>[],
  k: number,
): number[] {
  const bins = k > 0 ? Array.from({ length: 2 * k + 1 }, (_, i) => Math.pow(2, -1 + (2 * i) / (2 * k))) : [1];
  return records.map((r) => {
    const ratio = r.width / r.height;
    let g = 0;
    while (g < bins.length && bins[g] <= ratio) g++;
    return g;
  });
}

/**
 * Groups an index order into batches whose images share an aspect-ratio group, exactly as torchvision's
 * `GroupedBatchSampler`: walk `order`, append each index to its group's buffer, emit a buffer when it holds
 * `batchSize`; at the end, until `floor(order.length / batchSize)` batches have been emitted, top up the
 * fullest leftover buffers with repeats of that group's indices seen this epoch.
 *
 * @example
 * groupedBatches([0, 1, 2, 3], [0, 1, 0, 1], 2); // [[0, 2], [1, 3]]
 */
export function groupedBatches(
  order: readonly number[],
  groupIds: readonly number[],
  batchSize: number,
): number[][] {
  const buffers = new Map<number, number[]>();
  const seen = new Map<number, number[]>();
  const out: number[][] = [];
  for (const idx of order) {
    const g = groupIds[idx];
    if (!buffers.has(g)) buffers.set(g, []);
    if (!seen.has(g)) seen.set(g, []);
    buffers.get(g)!.push(idx);
    seen.get(g)!.push(idx);
    if (buffers.get(g)!.length === batchSize) {
      out.push(buffers.get(g)!);
      buffers.delete(g);
      buffers.set(g, []); // torchvision's defaultdict re-creates the key (at the end) on the next access
    }
  }
  let remaining = Math.floor(order.length / batchSize) - out.length;
  if (remaining > 0) {
    const leftovers = [...buffers.entries()].sort((a, b) => b[1].length - a[1].length);
    for (const [g, buf] of leftovers) {
      const pool = seen.get(g)!;
      const need = batchSize - buf.length;
      const filled = [...buf];
      for (let i = 0; i < need; i++) filled.push(pool[i % pool.length]);
      out.push(filled);
      if (--remaining === 0) break;
    }
  }
  return out;
}

/** Plain batches in order, the last partial one dropped (torch's `BatchSampler(drop_last=True)`). */
export function plainBatches(order: readonly number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + batchSize <= order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}
