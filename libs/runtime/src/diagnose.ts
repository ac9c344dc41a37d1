import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_ORDER, BackendName } from './backend';
import { probeWebGpu } from './webgpu';

/** One backend's availability on this machine, for `doctor`. */
export interface BackendReport {
  name: BackendName;
  available: boolean;
  /** What was found (adapter, SIMD, version…). */
  detail: string;
  /** What to install or change when it is unavailable. */
  fix?: string;
}

function resolves(id: string): boolean {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks every backend without choosing one (no tfjs backend is initialised): tfjs-node-gpu and tfjs-node by
 * package presence, webgpu by creating Dawn and requesting the high-performance adapter (a software adapter
 * does not count), wasm by SIMD support. `env` as for initRuntime (the CLI passes process.env).
 */
export async function diagnoseBackends(
  env: Record<string, string | undefined> = {},
): Promise<BackendReport[]> {
  const reports: BackendReport[] = [];
  for (const name of BACKEND_ORDER) {
    switch (name) {
      case 'tensorflow-gpu': {
        const ok = resolves('@tensorflow/tfjs-node-gpu');
        reports.push({
          name,
          available: ok,
          detail: ok ? 'installed' : 'not installed',
          fix: ok
            ? undefined
            : 'npm i @tensorflow/tfjs-node-gpu (needs CUDA 11.2 + cuDNN 8.1 and internet at install)',
        });
        break;
      }
      case 'webgpu': {
        const p = await probeWebGpu({ env });
        const a = p.adapter;
        const detail = a
          ? `adapter: ${[a.description, a.device, a.vendor, a.architecture].filter(Boolean).join(', ')}${a.software ? ' (software)' : ''}`
          : 'no adapter';
        const pkg = resolves('@tensorflow/tfjs-backend-webgpu');
        const ok = Boolean(a && !a.software && pkg);
        const fix = ok ? undefined : !pkg ? 'npm i @tensorflow/tfjs-backend-webgpu webgpu' : p.problem;
        reports.push({
          name,
          available: ok,
          detail: p.nvidiaEglIcd ? `${detail}; NVIDIA EGL ICD ${p.nvidiaEglIcd}` : detail,
          fix,
        });
        break;
      }
      case 'tensorflow': {
        const ok = resolves('@tensorflow/tfjs-node');
        reports.push({
          name,
          available: ok,
          detail: ok ? 'installed' : 'not installed',
          fix: ok
            ? undefined
            : 'npm i @tensorflow/tfjs-node (downloads libtensorflow at install: needs internet)',
        });
        break;
      }
      case 'wasm': {
        await import('@tensorflow/tfjs-backend-wasm');
        const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        reports.push({
          name,
          available: true,
          detail: `SIMD ${simd ? 'yes' : 'no (slower; use Node ≥ 16)'}, 1 thread in Node`,
        });
        break;
      }
      case 'cpu':
        reports.push({ name, available: true, detail: 'pure JS (slow fallback)' });
        break;
    }
  }
  return reports;
}
