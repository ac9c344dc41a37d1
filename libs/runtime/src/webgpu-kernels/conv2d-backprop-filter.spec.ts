import {
  chooseTiling,
  MAX_PARTIAL_ELEMENTS,
  MIN_TILES_PER_SPLIT,
  planSplitK,
  TARGET_WORKGROUPS,
  TILING_256,
  TILING_64,
} from './conv2d-backprop-filter';

// The GEMM itself runs on a GPU adapter: see test/runtime/webgpu-kernels.spec.ts (software adapter vs cpu).
describe('webgpu Conv2DBackpropFilter planning', () => {
  it('picks 16×16 threads where the device allows 256 invocations, else 8×8', () => {
    expect(
      chooseTiling({ maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 }),
    ).toBe(TILING_256);
    expect(
      chooseTiling({ maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupStorageSize: 16384 }),
    ).toBe(TILING_64);
    expect(
      chooseTiling({ maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 4096 }),
    ).toBe(TILING_64);
  });

  it('splits a small M×N over a long K into ~TARGET_WORKGROUPS slices that cover K exactly once', () => {
    // ResNet layer1 1×1 conv 64→64 at batch 8, 200×304: one 64×64 tile, K = 486 400
    const k = 8 * 200 * 304;
    const p = planSplitK(64, 64, k, TILING_256);
    expect(p.splits).toBeGreaterThan(TARGET_WORKGROUPS / 2);
    expect(p.splits).toBeLessThanOrEqual(TARGET_WORKGROUPS);
    expect(p.kPerSplit).toBe(p.tilesPerSplit * TILING_256.tk);
    expect(p.splits * p.kPerSplit).toBeGreaterThanOrEqual(k);
    expect((p.splits - 1) * p.kPerSplit).toBeLessThan(k); // no empty slice
  });

  it('does not split short reductions or already-wide outputs, and bounds the partials', () => {
    expect(planSplitK(27, 4, 16 * (MIN_TILES_PER_SPLIT - 1), TILING_64).splits).toBe(1);
    expect(planSplitK(4608, 512, 1 << 20, TILING_256).splits).toBeLessThanOrEqual(2);
    const big = planSplitK(4608, 2048, 1 << 24, TILING_256);
    expect(big.splits * 4608 * 2048).toBeLessThanOrEqual(MAX_PARTIAL_ELEMENTS);
  });
});
