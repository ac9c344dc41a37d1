import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * The webgpu backend on Dawn's software adapter (OpenGL ES on Mesa llvmpipe), so CI exercises the GPU path
 * without a GPU. Runs webgpu-software.check.ts in a child process (see there why).
 * Tolerance: max|Δ| ≤ WEBGPU_RTOL · max(1, max|cpu|) — float32 with a different summation order.
 */
const WEBGPU_RTOL = 1e-4;

describe('webgpu backend on the software adapter (Dawn OpenGL ES on llvmpipe)', () => {
  it('conv2d, matmul and Conv2DBackpropFilter match cpu within WEBGPU_RTOL', () => {
    const root = path.join(__dirname, '..', '..');
    const out = execFileSync(
      process.execPath,
      ['-r', path.join(root, 'tools', 'register.js'), path.join(__dirname, 'webgpu-software.check.ts')],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 90_000 },
    );
    const result = JSON.parse(out.trim().split('\n').pop()!) as {
      log: string;
      errors: Record<string, number>;
      error?: string;
    };
    expect(result.error).toBeUndefined();
    expect(result.log).toMatch(/^resdet: tensor backend webgpu \(.*software\)$/);
    for (const [op, err] of Object.entries(result.errors)) {
      expect([op, err <= WEBGPU_RTOL]).toEqual([op, true]);
    }
    expect(Object.keys(result.errors).sort()).toEqual(['conv', 'filterGrad', 'matmul']);
  });
});
