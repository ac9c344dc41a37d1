import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { aspectRatioGroups, groupedBatches, plainBatches } from './grouped-batch-sampler';

describe('aspect-ratio grouping', () => {
  it('bins width/height at 2**linspace(-1, 1, 2k+1) with bisect_right (hand case, k = 1)', () => {
    // bins [0.5, 1, 2]
    const sizes = [
      [10, 40],
      [10, 20],
      [30, 40],
      [40, 40],
      [50, 40],
      [80, 40],
      [90, 40],
    ].map(([width, height]) => ({ width, height }));
    expect(aspectRatioGroups(sizes, 1)).toEqual([0, 1, 1, 2, 2, 3, 3]);
    expect(aspectRatioGroups(sizes, 0)).toEqual([0, 0, 0, 1, 1, 1, 1]);
  });

  it('batches within groups and tops up leftovers as GroupedBatchSampler (hand case)', () => {
    // groups: 0 → {0, 2, 4}, 1 → {1, 3}; batch 2
    expect(groupedBatches([0, 1, 2, 3, 4], [0, 1, 0, 1, 0], 2)).toEqual([
      [0, 2],
      [1, 3],
    ]);
    // 7 items, batch 3: floor(7/3) = 2 batches; only one full group batch, then the fullest leftover is topped up
    expect(groupedBatches([0, 1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 0, 1, 2], 3)).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
    expect(groupedBatches([0, 1, 2, 3], [0, 1, 2, 3], 2)).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(plainBatches([4, 3, 2, 1, 0], 2)).toEqual([
      [4, 3],
      [2, 1],
    ]);
  });

  it('matches torchvision GroupedBatchSampler on recorded cases', () => {
    const fixture = JSON.parse(
      readFileSync(path.join(__dirname, '../../../test/fixtures/data/grouped-batches.json'), 'utf8'),
    ) as {
      cases: {
        order: number[];
        group_ids: number[];
        batch_size: number;
        batches: number[][];
        aspect_ratios?: number[];
        k?: number;
        groups?: number[];
      }[];
    };
    expect(fixture.cases.length).toBeGreaterThan(3);
    for (const c of fixture.cases) {
      expect(groupedBatches(c.order, c.group_ids, c.batch_size)).toEqual(c.batches);
      if (c.aspect_ratios && c.k !== undefined) {
        expect(
          aspectRatioGroups(
            c.aspect_ratios.map((r) => ({ width: r, height: 1 })),
            c.k,
          ),
        ).toEqual(c.groups);
      }
    }
  });
});
