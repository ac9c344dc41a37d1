import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * resdet's WGSL kernels (Conv2DBackpropFilter as a split-K GEMM, the weighted gather of RoIAlign and its
 * transposed-plan gradient) on the webgpu backend with Dawn's software adapter (OpenGL ES on llvmpipe), against
 * the cpu backend (filter gradient) and float64 JS references (weighted gather). Runs webgpu-kernels.check.ts in
 * a child process (see there why).
 * Tolerance: max|Δ| ≤ WEBGPU_KERNEL_RTOL · max(1, max|reference|) — float32 with a different summation order
 * (reductions here are ≤ ~650 terms of magnitude ≤ 1; observed ≤ 4e-7).
 */
const WEBGPU_KERNEL_RTOL = 1e-5;

interface CheckResult {
  log: string;
  active: Record<string, boolean>;
  splits: number[];
  errors: Record<string, number>;
  error?: string;
}

describe('resdet WGSL kernels on the software adapter (Dawn OpenGL ES on llvmpipe)', () => {
  let result: CheckResult;
  beforeAll(() => {
    const root = path.join(__dirname, '..', '..');
    const out = execFileSync(
      process.execPath,
      ['-r', path.join(root, 'tools', 'register.js'), path.join(__dirname, 'webgpu-kernels.check.ts')],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 90_000 },
    );
    result = JSON.parse(out.trim().split('\n').pop()!) as CheckResult;
  });

  it('runs on the software webgpu backend with resdet kernels registered', () => {
    expect(result.error).toBeUndefined();
    expect(result.log).toMatch(/^resdet: tensor backend webgpu \(.*software\)$/);
    expect(result.active).toEqual({
      Conv2DBackpropFilter: true,
      ResdetWeightedGather: true,
      ResdetWeightedScatter: true,
    });
  });

  it('Conv2DBackpropFilter (9 shapes: 1×1, 3×3, 7×7, strides 1–2, same/valid/explicit pads) matches cpu', () => {
    const names = Object.keys(result.errors).filter((k) => k.startsWith('filterGrad'));
    expect(names).toHaveLength(9);
    for (const name of names) expect([name, result.errors[name] <= WEBGPU_KERNEL_RTOL]).toEqual([name, true]);
    // at least one case goes through split-K partials and the slice-sum program
    expect(Math.max(...result.splits)).toBeGreaterThan(1);
  });

  it('WeightedGather forward and its CSR-by-destination backward match float64 references', () => {
    const names = Object.keys(result.errors).filter((k) => /^(gather|scatter)\d$/.test(k));
    expect(names).toHaveLength(6);
    names.push('detectionWeightedGather'); // @resdet/detection's weightedGather + gradients (2 levels) vs cpu
    for (const name of names) expect([name, result.errors[name] <= WEBGPU_KERNEL_RTOL]).toEqual([name, true]);
  });
});
