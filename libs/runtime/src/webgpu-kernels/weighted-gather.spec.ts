import { transposeGatherPlan } from './weighted-gather';

// The WGSL programs run on a GPU adapter: see test/runtime/webgpu-kernels.spec.ts (software adapter).
describe('transposeGatherPlan (CSR by destination for the weighted-gather gradient)', () => {
  it('groups entries by destination row, keeps source order, drops zero weights', () => {
    // 3 rows × k=2: row0 → (2, .5) (0, .25); row1 → (2, 1) (1, 0); row2 → (0, 2) (2, -1)
    const idx = Int32Array.from([2, 0, 2, 1, 0, 2]);
    const w = Float32Array.from([0.5, 0.25, 1, 0, 2, -1]);
    const p = transposeGatherPlan(idx, w, 2, 4);
    expect(Array.from(p.offsets)).toEqual([0, 2, 2, 5, 5]);
    expect(Array.from(p.src)).toEqual([0, 2, 0, 1, 2]);
    expect(Array.from(p.w)).toEqual([0.25, 2, 0.5, 1, -1]);
  });

  it('names the entry when an index is out of range or lengths disagree', () => {
    expect(() => transposeGatherPlan(Int32Array.from([0, 5]), Float32Array.from([1, 1]), 1, 5)).toThrow(
      'idx[1] = 5 is outside [0, 5)',
    );
    expect(() => transposeGatherPlan(Int32Array.from([0, 1, 2]), Float32Array.from([1, 1, 1]), 2, 5)).toThrow(
      'rows·k',
    );
  });
});
