import { filterProposals, sigmoid, topKDescending } from './proposal-filter';

describe('filterProposals (torchvision filter_proposals, hand-worked)', () => {
  // two levels: level 0 has 3 anchors, level 1 has 1; all deltas zero (proposal = anchor)
  const anchors = Float32Array.of(0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60, 0, 0, 10, 10);
  const base = {
    anchors,
    deltas: new Float32Array(16),
    numAnchorsPerLevel: [3, 1],
    imageSizes: [[100, 100]] as [number, number][],
    scoreThresh: 0,
    minSize: 1e-3,
  };

  it('takes the per-level top-n, then NMS per level (boxes of different levels never suppress each other)', () => {
    const out = filterProposals({
      ...base,
      objectness: Float32Array.of(3, 2, 1, 0),
      preNmsTopN: 2,
      postNmsTopN: 10,
      nmsThresh: 0.5,
    });
    // level 0 keeps anchors 0 and 1 (top 2), 1 overlaps 0 with IoU 81/119 > 0.5 → suppressed; level 1's box is
    // identical to anchor 0 but in another level → kept.
    expect(Array.from(out.boxes[0])).toEqual([0, 0, 10, 10, 0, 0, 10, 10]);
    expect(Array.from(out.scores[0])).toEqual([sigmoid(3), sigmoid(0)]);
  });

  it('clips to the image, drops small boxes and keeps the post-NMS top-n by score', () => {
    const out = filterProposals({
      ...base,
      imageSizes: [[55, 100]],
      objectness: Float32Array.of(0, 1, 5, 2),
      preNmsTopN: 3,
      postNmsTopN: 2,
      nmsThresh: 0.9,
    });
    // anchor 2 is clipped to [50, 50, 60, 55] (highest score), then level-1 box (2), then anchor 1 (1)
    expect(Array.from(out.boxes[0])).toEqual([50, 50, 60, 55, 0, 0, 10, 10]);
    const small = filterProposals({
      ...base,
      imageSizes: [[50, 100]],
      objectness: Float32Array.of(0, 1, 5, 2),
      preNmsTopN: 3,
      postNmsTopN: 9,
      nmsThresh: 0.9,
    });
    expect(small.boxes[0].length / 4).toBe(3); // anchor 2 clipped to zero height → removed
  });
});

describe('topKDescending', () => {
  it('returns the k largest of a slice by value, ties by index, as absolute indices', () => {
    const v = Float32Array.of(9, 1, 5, 3, 5, 7, 5, 0);
    expect(Array.from(topKDescending(v, 1, 6, 3))).toEqual([5, 2, 4]);
    expect(Array.from(topKDescending(v, 1, 6, 4))).toEqual([5, 2, 4, 6]);
    expect(Array.from(topKDescending(v, 0, 8, 20))).toEqual([0, 5, 2, 4, 6, 3, 1, 7]);
    const big = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 100);
    const ref = Array.from(big.keys())
      .sort((a, b) => big[b] - big[a] || a - b)
      .slice(0, 1000);
    expect(Array.from(topKDescending(big, 0, 5000, 1000))).toEqual(ref);
  });
});
