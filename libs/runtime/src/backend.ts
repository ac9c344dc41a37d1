import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients';
import { registerResdetKernels } from './kernels/register';
import { hasGpuDeviceNode, probeWebGpu, WebGpuProbe } from './webgpu';
import { registerWebgpuKernels } from './webgpu-kernels/register';

/** Backends resdet knows, in the order they are preferred when none is forced. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** User-facing aliases accepted by `--backend` / `RESDET_BACKEND`. */
const ALIASES: Record<string, BackendName> = {
  'node-gpu': 'tensorflow-gpu',
  'tfjs-node-gpu': 'tensorflow-gpu',
  'tensorflow-gpu': 'tensorflow-gpu',
  gpu: 'webgpu',
  webgpu: 'webgpu',
  node: 'tensorflow',
  'tfjs-node': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/**
 * What a backend can do — the one answer to "may I read synchronously / loop over host memory / am I on a GPU?"
 * that model code and training ask before choosing a path.
 */
export interface BackendCaps {
  /** `dataSync()` works. webgpu in Node has only `await data()`. */
  syncReads: boolean;
  /**
   * Tensors live in host memory (or one cheap copy away), so a typed-array loop over them beats a device kernel.
   * tfjs-node-gpu reads synchronously but keeps tensors on the GPU.
   */
  hostMemory: boolean;
  /** Runs on a GPU. */
  gpu: boolean;
  /** One engine computes on one CPU thread (tfjs-wasm in Node, tfjs-cpu): more cores take more engines, in workers. */
  singleThreaded: boolean;
}

const CAPS: Record<BackendName, BackendCaps> = {
  'tensorflow-gpu': { syncReads: true, hostMemory: false, gpu: true, singleThreaded: false },
  webgpu: { syncReads: false, hostMemory: false, gpu: true, singleThreaded: false },
  tensorflow: { syncReads: true, hostMemory: true, gpu: false, singleThreaded: false },
  wasm: { syncReads: true, hostMemory: true, gpu: false, singleThreaded: true },
  cpu: { syncReads: true, hostMemory: true, gpu: false, singleThreaded: true },
};

/** A backend resdet does not know (a test's own) is assumed to have none of the capabilities: the safe paths. */
const UNKNOWN_CAPS: BackendCaps = { syncReads: false, hostMemory: false, gpu: false, singleThreaded: false };

/** The capabilities of a backend (default: the one tfjs runs now). */
export function backendCaps(name: string = tf.getBackend()): BackendCaps {
  return CAPS[name as BackendName] ?? UNKNOWN_CAPS;
}

/**
 * Host copies of tensors: `dataSync()` where the backend has synchronous reads, `await data()` where it has not.
 * The values are the same either way; code that reads through this needs no sync/async twin.
 */
export async function readTensors(tensors: readonly tf.Tensor[]): Promise<tf.TypedArray[]> {
  if (backendCaps().syncReads) return tensors.map((t) => t.dataSync() as tf.TypedArray);
  return (await Promise.all(tensors.map((t) => t.data()))) as tf.TypedArray[];
}

export class BackendError extends Error {
  override name = 'BackendError';
}

/** Maps a user-supplied name (`wasm`, `node-gpu`, …) to a backend, or throws listing the valid names. */
export function parseBackendName(name: string): BackendName {
  const b = ALIASES[name.trim().toLowerCase()];
  if (!b) {
    throw new BackendError(`unknown backend "${name}"; valid: ${Object.keys(ALIASES).join(', ')}`);
  }
  return b;
}

export interface RuntimeOptions {
  /** Force one backend (`--backend`); otherwise `RESDET_BACKEND` from `env`, otherwise the first available in BACKEND_ORDER. */
  backend?: string;
  /** Called once with the chosen backend (the CLI logs it to stderr). */
  log?: (msg: string) => void;
  /**
   * The process environment: `RESDET_BACKEND`, and Dawn's EGL/Vulkan variables for the GPU set-up (read and set
   * here). Apps pass `process.env`; libraries never read process.env themselves.
   */
  env?: Record<string, string | undefined>;
  /** Test-only: let a forced `webgpu` use the software adapter (Mesa llvmpipe through OpenGL ES). */
  webgpuSoftware?: boolean;
}

/** A `require` of a computed id: bundlers leave it alone, and a missing optional package is just absent. */
const optionalRequire = (id: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(id);

/** Loads an optional package; returns why it failed (undefined when loaded). */
function tryRequire(id: string): string | undefined {
  try {
    optionalRequire(id);
    return undefined;
  } catch (e) {
    return `${id}: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Result of trying to load one backend: a detail for the log line, or why it is unavailable. */
type Loaded = { detail: string } | { problem: string };

const required = (id: string): Loaded => {
  const problem = tryRequire(id);
  return problem ? { problem } : { detail: '' };
};

/**
 * Makes tfjs-backend-webgpu run on Dawn's adapter. tfjs asks `navigator.gpu.requestAdapter()` itself when the
 * backend starts, so `navigator.gpu` is set (wrapped for the software adapter, which needs the compatibility
 * feature level) before the package is loaded.
 */
function installWebGpu(
  probe: WebGpuProbe & { gpu: NonNullable<WebGpuProbe['gpu']> },
  software: boolean,
): string | undefined {
  const gpu = probe.gpu;
  const nav = software
    ? {
        gpu: {
          ...gpu,
          requestAdapter: (o?: object) => gpu.requestAdapter({ ...o, featureLevel: 'compatibility' }),
        },
      }
    : { gpu };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  return tryRequire('@tensorflow/tfjs-backend-webgpu');
}

async function load(name: BackendName, opts: RuntimeOptions, forced: boolean): Promise<Loaded> {
  switch (name) {
    case 'tensorflow-gpu':
      return required('@tensorflow/tfjs-node-gpu');
    case 'tensorflow':
      return required('@tensorflow/tfjs-node');
    case 'webgpu': {
      if (!forced && !hasGpuDeviceNode()) return { problem: 'webgpu: no GPU device on this machine' };
      const env = opts.env ?? {};
      let probe = await probeWebGpu({ env });
      let software = false;
      // A software adapter is only used when webgpu is forced and the caller allows it (tests).
      if ((!probe.adapter || probe.adapter.software) && forced && opts.webgpuSoftware) {
        probe = await probeWebGpu({ env, software: true });
        software = true;
      }
      if (!probe.gpu || !probe.adapter || (probe.adapter.software && !software)) {
        return { problem: `webgpu: ${probe.problem ?? 'no adapter'}` };
      }
      const problem = installWebGpu({ ...probe, gpu: probe.gpu }, software);
      if (problem) return { problem };
      const a = probe.adapter;
      return {
        detail: ` (${[a.description, a.device, a.vendor].filter(Boolean).join(', ')}${a.software ? '; software' : ''})`,
      };
    }
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return { detail: '' };
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return { detail: '' };
  }
}

/**
 * The chosen backend, per process. This cache is the one deliberate piece of module state in the libs: tfjs's
 * backend is itself process-global (one engine per process), so the choice is made once and every later call
 * — from any lib or command — gets the same answer instead of switching backends under live tensors.
 */
let initialised: Promise<BackendName> | undefined;

/**
 * Chooses and initialises the tensor backend once per process, registers tfjs-core's gradients and resdet's
 * kernels, and logs the choice once. Later calls return the same choice (a backend is never switched per call).
 * Order: tfjs-node-gpu > webgpu (a real GPU adapter) > tfjs-node > wasm > cpu.
 */
export function initRuntime(opts: RuntimeOptions = {}): Promise<BackendName> {
  initialised ??= chooseBackend(opts).catch((e: unknown) => {
    initialised = undefined; // a failed choice (e.g. a forced backend that is missing) may be retried
    throw e;
  });
  return initialised;
}

/** The backend the user asked for: `--backend`, else `RESDET_BACKEND` (the one place it is read); undefined for auto. */
export function requestedBackend(opts: Pick<RuntimeOptions, 'backend' | 'env'>): string | undefined {
  return opts.backend || opts.env?.RESDET_BACKEND || undefined;
}

async function chooseBackend(opts: RuntimeOptions): Promise<BackendName> {
  const requested = requestedBackend(opts);
  const forced = requested ? parseBackendName(requested) : undefined;
  const candidates = forced ? [forced] : [...BACKEND_ORDER];
  registerGradients();
  registerResdetKernels();
  const problems: string[] = [];
  for (const name of candidates) {
    const loaded = await load(name, opts, forced !== undefined);
    if ('problem' in loaded) {
      problems.push(loaded.problem);
      continue;
    }
    // tfjs-backend-webgpu registered its kernels when loaded; resdet's WGSL kernels replace/extend them now.
    if (name === 'webgpu') registerWebgpuKernels();
    if (await tf.setBackend(name)) {
      await tf.ready();
      opts.log?.(`resdet: tensor backend ${name}${loaded.detail}`);
      return name;
    }
    problems.push(`${name}: tfjs could not initialise it`);
  }
  throw new BackendError(
    `${forced ? `backend "${forced}" is not available` : 'no tensor backend could be initialised'}: ` +
      `${problems.join('; ')} (run \`npm run cli -- doctor\` to see what to install)`,
  );
}
