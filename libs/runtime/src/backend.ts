import * as tf from '@tensorflow/tfjs-core';

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

export class BackendError extends Error {
  override name = 'BackendError';
}

/** Maps a user-supplied name (`wasm`, `node-gpu`, …) to a backend, or throws listing the valid names. */
export function parseBackendName(name: string): BackendName {
  const b = ALIASES[name.trim().toLowerCase()];
  if (!b) {
    throw new BackendError(
      `unknown backend "${name}"; valid: ${Object.keys(ALIASES).join(', ')}`,
    );
  }
  return b;
}

export interface RuntimeOptions {
  /** Force one backend (from `--backend` or `RESDET_BACKEND`); otherwise the first available in BACKEND_ORDER. */
  backend?: string;
  /** Called once with the chosen backend (the CLI logs it to stderr). */
  log?: (msg: string) => void;
}

type Loader = () => Promise<boolean>;

/**
 * Loaders try to make one backend available. Optional accelerators are loaded with a dynamic
 * `require` hidden from bundlers: they are never dependencies of resdet (their installs download
 * libtensorflow, which fails offline).
 */
const dynamicRequire = (id: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (0, eval)('require')(id);

async function tryRequire(id: string): Promise<boolean> {
  try {
    dynamicRequire(id);
    return true;
  } catch {
    return false;
  }
}

const LOADERS: Record<BackendName, Loader> = {
  'tensorflow-gpu': () => tryRequire('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => tryRequire('@tensorflow/tfjs-node'),
  webgpu: async () => {
    // The GPU issue replaces this with a Dawn adapter probe; until then webgpu is only used when forced.
    return false;
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    return true;
  },
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    return true;
  },
};

let initialised: Promise<BackendName> | undefined;

/**
 * Chooses and initialises the tensor backend once per process. Later calls return the same choice
 * (a backend is never switched per call). Order: tfjs-node-gpu > webgpu > tfjs-node > wasm > cpu.
 */
export function initRuntime(opts: RuntimeOptions = {}): Promise<BackendName> {
  initialised ??= chooseBackend(opts);
  return initialised;
}

async function chooseBackend(opts: RuntimeOptions): Promise<BackendName> {
  const forced = opts.backend ? parseBackendName(opts.backend) : undefined;
  const candidates = forced ? [forced] : [...BACKEND_ORDER];
  for (const name of candidates) {
    if (!(await LOADERS[name]())) continue;
    if (await tf.setBackend(name)) {
      await tf.ready();
      opts.log?.(`resdet: tensor backend ${name}`);
      return name;
    }
  }
  throw new BackendError(
    forced
      ? `backend "${forced}" is not available (is its package installed?)`
      : 'no tensor backend could be initialised',
  );
}
