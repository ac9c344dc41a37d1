import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * WebGPU through Dawn (the optional `webgpu` npm package): creating the GPU instance, picking the
 * high-performance adapter, telling a real GPU from a software one, and the headless-NVIDIA Vulkan set-up.
 * See ../../shared/GPU.md. Nothing here imports tfjs-backend-webgpu; backend.ts does that once an adapter exists.
 */

/** What we learn about an adapter (GPUAdapterInfo's fields plus our verdict). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** llvmpipe, lavapipe, SwiftShader, WARP or Dawn's fallback adapter: correct, slow, never chosen automatically. */
  software: boolean;
}

export interface WebGpuProbe {
  /** The `navigator.gpu`-like object, when Dawn loaded. */
  gpu?: { requestAdapter(opts?: object): Promise<unknown> };
  adapter?: AdapterInfo;
  /** Why there is no usable adapter, with what to install. */
  problem?: string;
  /** Set when resdet pointed Vulkan at NVIDIA's EGL driver (path of the ICD json it wrote). */
  nvidiaEglIcd?: string;
}

export interface WebGpuOptions {
  /**
   * Test-only software adapter: Dawn's OpenGL ES backend on Mesa (llvmpipe) through surfaceless EGL, at the
   * WebGPU compatibility feature level. Needs Mesa's EGL/GLES (`apt-get install libegl1 libegl-mesa0 libgles2`).
   */
  software?: boolean;
  /** Environment to read and amend (the caller passes `process.env`; libs do not read it themselves). */
  env?: Record<string, string | undefined>;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|warp|basic render|microsoft basic|fallback/i;

/** A `require` of a computed id: bundlers leave it alone, and a missing optional package is just absent. */
const optionalRequire = (id: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(id);

interface Dawn {
  create(flags: string[]): WebGpuProbe['gpu'];
  globals: object;
}

/**
 * The `webgpu` package is an ES module. Node ≥ 20.19 can `require` it; where that fails (jest's module system,
 * older Node) its native `dist/<platform>-<arch>/dawn.node` is loaded directly (same `create`/`globals`).
 */
function loadDawn(): Dawn | undefined {
  try {
    return optionalRequire('webgpu') as Dawn;
  } catch {
    try {
      const dir = path.dirname(require.resolve('webgpu/package.json'));
      const arch = process.platform === 'darwin' ? 'universal' : process.arch;
      return optionalRequire(path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node')) as Dawn;
    } catch {
      return undefined;
    }
  }
}

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/nvidia/lib64',
  '/usr/lib/aarch64-linux-gnu',
];

/** Whether a shared library is present in the usual Linux library folders. */
export function findLibrary(name: string, dirs: readonly string[] = LIB_DIRS): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** The ICD manifest that loads NVIDIA's Vulkan driver through its EGL library (works without a display). */
export const NVIDIA_EGL_ICD = {
  file_format_version: '1.0.1',
  ICD: { library_path: 'libEGL_nvidia.so.0', api_version: '1.4.312' },
};

/**
 * Headless NVIDIA: the default `nvidia_icd.json` names the GLX library, which fails without a display. When
 * `libEGL_nvidia.so.0` is present and the caller has not chosen ICDs itself, write an EGL ICD manifest to a
 * temp folder and point `VK_ICD_FILENAMES` at it. Must run before Dawn is created. Returns the manifest path.
 */
export function configureNvidiaEglIcd(
  env: Record<string, string | undefined>,
  libDirs?: readonly string[],
): string | undefined {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return undefined;
  if (!findLibrary('libEGL_nvidia.so.0', libDirs)) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-vk-'));
  const file = path.join(dir, 'nvidia_egl_icd.json');
  fs.writeFileSync(file, JSON.stringify(NVIDIA_EGL_ICD));
  env.VK_ICD_FILENAMES = file;
  env.XDG_RUNTIME_DIR ??= os.tmpdir();
  return file;
}

function describe(adapter: unknown): AdapterInfo {
  const info = ((adapter as { info?: Record<string, unknown> }).info ?? {}) as Record<string, unknown>;
  const s = (k: string): string => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const fallback = Boolean(
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? info.isFallbackAdapter,
  );
  const out = {
    vendor: s('vendor'),
    architecture: s('architecture'),
    device: s('device'),
    description: s('description'),
  };
  return { ...out, software: fallback || SOFTWARE_NAMES.test(Object.values(out).join(' ')) };
}

/**
 * Whether this machine exposes a GPU device node (NVIDIA's `/dev/nvidia*`, or a DRM render node). Without one
 * only a software adapter could exist, so automatic backend choice skips creating Dawn at all — which also
 * keeps Dawn's start-up warnings (XDG_RUNTIME_DIR, missing Vulkan features) off every CPU-only run.
 */
export function hasGpuDeviceNode(devDir = '/dev'): boolean {
  const list = (dir: string): string[] => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  return (
    list(devDir).some((n) => /^nvidia\d+$/.test(n)) ||
    list(`${devDir}/dri`).some((n) => n.startsWith('renderD'))
  );
}

/**
 * Creates Dawn's GPU object and requests an adapter: the high-performance one by default, or the test-only
 * software adapter. Never throws: a missing package, library or adapter is reported in `problem`.
 */
export async function probeWebGpu(opts: WebGpuOptions = {}): Promise<WebGpuProbe> {
  const env = opts.env ?? {};
  const webgpu = loadDawn();
  if (!webgpu) {
    return {
      problem:
        'the optional package "webgpu" is not installed (npm i webgpu @tensorflow/tfjs-backend-webgpu)',
    };
  }
  const probe: WebGpuProbe = {};
  let flags: string[] = [];
  let request: object = { powerPreference: 'high-performance' };
  if (opts.software) {
    env.EGL_PLATFORM ??= 'surfaceless';
    flags = ['backend=opengles'];
    request = { featureLevel: 'compatibility' };
    if (!findLibrary('libEGL.so.1')) {
      return { problem: 'Mesa EGL is missing (apt-get install libegl1 libegl-mesa0 libgles2)' };
    }
  } else {
    probe.nvidiaEglIcd = configureNvidiaEglIcd(env);
    if (!findLibrary('libvulkan.so.1')) {
      return { ...probe, problem: 'the Vulkan loader is missing (apt-get install libvulkan1)' };
    }
  }
  try {
    Object.assign(globalThis, webgpu.globals);
    probe.gpu = webgpu.create(flags);
    const adapter = await probe.gpu!.requestAdapter(request);
    if (!adapter) {
      probe.problem = opts.software
        ? 'Dawn found no OpenGL ES adapter (is Mesa installed? apt-get install libegl-mesa0 libgles2)'
        : 'Dawn found no Vulkan GPU adapter (GPU driver missing? NVIDIA: install the driver incl. libEGL_nvidia.so.0)';
      return probe;
    }
    probe.adapter = describe(adapter);
    if (probe.adapter.software && !opts.software)
      probe.problem = `adapter "${probe.adapter.description}" is a software renderer`;
  } catch (e) {
    probe.problem = `Dawn failed to start: ${(e as Error).message}`;
  }
  return probe;
}
