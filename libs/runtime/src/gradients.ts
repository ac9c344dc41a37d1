import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';
import { registerResdetGradients } from './extra-gradients';

/** Error raised by the runtime (backend choice, gradient registration) with what would fix it. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** Kernels whose gradients must be registered; one missing means tfjs-core's gradient set was not loaded. */
const PROBE_GRADIENTS = ['Conv2D', 'FusedBatchNorm', 'MaxPool', 'BatchMatMul', 'GatherV2', 'ResizeBilinear'];

/** A `require` of a computed id, which bundlers leave alone: @swc/core is a native Node package, never bundled. */
const dynamicRequire = (id: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(id);

interface SwcCore {
  transformSync(src: string, opts: object): { code: string };
}

/** True when tfjs-core's gradient functions are registered (e.g. by a bundle that imported them itself). */
export function gradientsRegistered(): boolean {
  return (
    PROBE_GRADIENTS.every((k) => tf.getGradient(k) != null) &&
    typeof (tf.Tensor.prototype as unknown as Record<string, unknown>).reshape === 'function'
  );
}

/**
 * Registers tfjs-core's gradient functions (`tf.grad`, `tf.variableGrads` need them for every op on the path),
 * its chained tensor methods (`t.reshape(…)`: some of its gradients call them), and resdet's extra gradients
 * (see extra-gradients.ts).
 *
 * Why this exists: tfjs-core's CommonJS bundle (`dist/tf-core.node.js`, what `require` loads in Node) ships
 * the ops but not the gradients; those live only in its ES-module files (`dist/register_all_gradients.js` and
 * `dist/gradients/*`), whose extension-less imports Node cannot load. This loads exactly those files, compiled
 * to CommonJS by @swc/core (already a dependency for the TS runner), as a second copy of the modules they
 * import. tfjs-core keeps its engine, kernel and gradient registries and Tensor class on the global object
 * precisely so that copies share them, so the gradients land in the one registry the engine reads.
 * A bundle (esbuild picks the ES modules) should instead `import '@tensorflow/tfjs-core/dist/register_all_gradients'`;
 * this function then finds them registered and does nothing. Idempotent; ~0.2 s on first call.
 */
export function registerGradients(): void {
  loadTfjsGradients();
  registerResdetGradients();
}

function loadTfjsGradients(): void {
  if (gradientsRegistered()) return;
  let swc: SwcCore;
  let coreDir: string;
  try {
    swc = dynamicRequire('@swc/core') as SwcCore;
    coreDir = path.dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
  } catch (e) {
    throw new RuntimeError(
      `cannot register tfjs gradients: @swc/core or @tensorflow/tfjs-core not found (${(e as Error).message}); ` +
        `in a bundle, import '@tensorflow/tfjs-core/dist/register_all_gradients' and ` +
        `'@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops' in the entry point`,
    );
  }
  const loaded = new Map<string, { exports: unknown }>();
  const load = (file: string): unknown => {
    const cached = loaded.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    loaded.set(file, module); // before running it: import cycles see the partial module, as in CommonJS
    const src = fs.readFileSync(file, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
    const { code } = swc.transformSync(src, {
      jsc: { parser: { syntax: 'ecmascript' }, target: 'es2020' },
      module: { type: 'commonjs' },
      sourceMaps: false,
      swcrc: false,
      configFile: false,
    });
    const req = (spec: string): unknown =>
      spec.startsWith('.')
        ? load(path.resolve(path.dirname(file), spec).replace(/(\.js)?$/, '.js'))
        : // eslint-disable-next-line @typescript-eslint/no-require-imports -- tfjs's own CommonJS modules, by name
          require(spec);
    new Function('exports', 'require', 'module', code)(module.exports, req, module);
    return module.exports;
  };
  load(path.join(coreDir, 'dist', 'register_all_gradients.js'));
  load(path.join(coreDir, 'dist', 'public', 'chained_ops', 'register_all_chained_ops.js'));
  if (!gradientsRegistered()) {
    throw new RuntimeError(
      `loaded ${coreDir}/dist/register_all_gradients.js but gradients are still missing`,
    );
  }
}
