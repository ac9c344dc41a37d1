import * as tf from '@tensorflow/tfjs-core';
import { transformSync } from '@swc/core';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Registers tfjs-core's gradient for every op (its `register_all_gradients` entry point), so
 * `tf.grads` / `tf.variableGrads` work through conv, pooling, BatchNorm and the rest.
 *
 * Why this loader: tfjs-core 4.22 ships the gradient configs only as extension-less ES modules
 * (`dist/gradients/*.js`), which neither Node's CommonJS `require` nor its ESM loader can load, and
 * its CommonJS bundle (`tf-core.node.js`) leaves them out. We compile that ESM subtree to CommonJS
 * with SWC (already a dependency) into a private module table and run it once; the copies it makes
 * of tfjs internals share the one global engine and kernel/gradient registries, so the configs land
 * where `tf.variableGrads` looks. Takes ~0.2 s; idempotent (a no-op when `Conv2D`'s gradient exists).
 */
export function registerAllGradients(): void {
  if (tf.getGradient('Conv2D') !== undefined) return;
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist');
  const table = new Map<string, { exports: Record<string, unknown> }>();
  const load = (file: string): Record<string, unknown> => {
    const hit = table.get(file);
    if (hit) return hit.exports;
    const mod = { exports: {} as Record<string, unknown> };
    table.set(file, mod);
    const { code } = transformSync(fs.readFileSync(file, 'utf8'), {
      module: { type: 'commonjs' },
      jsc: { target: 'es2020', parser: { syntax: 'ecmascript' } },
      sourceMaps: false,
      swcrc: false,
      configFile: false,
    });
    const req = (id: string): unknown =>
      id.startsWith('.') ? load(resolveFile(path.resolve(path.dirname(file), id))) : require(id);
    // `global`/`globalThis` are passed in so the compiled code sees this realm's global (and thus the
    // engine tfjs-core already made) even under jest's vm sandbox, where `Function` may be another realm's.
    new Function('exports', 'require', 'module', 'global', 'globalThis', code)(mod.exports, req, mod, globalThis, globalThis);
    return mod.exports;
  };
  load(path.join(dist, 'register_all_gradients.js'));
  if (tf.getGradient('Conv2D') === undefined) {
    throw new Error(`registerAllGradients: ${dist}/register_all_gradients.js registered nothing (tfjs-core version?)`);
  }
}

function resolveFile(p: string): string {
  for (const c of [p, `${p}.js`, path.join(p, 'index.js')]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  throw new Error(`registerAllGradients: cannot resolve tfjs-core module ${p}`);
}
