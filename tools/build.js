#!/usr/bin/env node
// Builds apps/ and libs/ into dist/ with SWC — what `nest build --builder swc` does, without pulling in the Nest
// CLI's webpack toolchain: one transpile per file (decorator metadata kept for Nest DI), `@resdet/*` imports
// rewritten to relative paths so the output runs on plain `node`, no path hook. Type checking stays with
// `npm run typecheck` (tsc), as with Nest's SWC builder. Browser code (apps/*/web) is compiled as ES modules.
// Usage: node tools/build.js [--if-stale]   (--if-stale: exit early when dist is newer than every source)
'use strict';
const fs = require('fs');
const path = require('path');
const swc = require('@swc/core');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const outRoot = path.join(root, 'dist');
const { compilerOptions } = require('../tsconfig.json');

/** Sources: every app's and lib's src/ (no specs); browser sources under apps/<app>/web. */
function listSources() {
  const out = [];
  const walk = (dir, kind) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, kind);
      else if (/\.ts$/.test(e.name) && !/\.(spec|e2e-spec)\.ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
        out.push({ file: p, kind });
      else if (kind === 'web' && /\.(html|css|svg|ico)$/.test(e.name)) out.push({ file: p, kind: 'asset' });
    }
  };
  for (const group of ['apps', 'libs']) {
    for (const name of fs.readdirSync(path.join(root, group))) {
      walk(path.join(root, group, name, 'src'), 'node');
      walk(path.join(root, group, name, 'web'), 'web');
    }
  }
  return out;
}

const nodeOptions = (file) => ({
  filename: file,
  sourceMaps: true,
  swcrc: false,
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    baseUrl: root,
    paths: compilerOptions.paths,
  },
  module: { type: 'commonjs', ignoreDynamic: false },
});

const webOptions = (file) => ({
  filename: file,
  sourceMaps: true,
  swcrc: false,
  jsc: { parser: { syntax: 'typescript' }, target: 'es2020' },
  module: { type: 'es6' },
});

function newestMtime(files) {
  let t = 0;
  for (const f of files) t = Math.max(t, fs.statSync(f).mtimeMs);
  return t;
}

async function main() {
  const started = Date.now();
  const sources = listSources();
  const stamp = path.join(outRoot, '.build-stamp');
  const inputs = [...sources.map((s) => s.file), path.join(root, 'tsconfig.json'), __filename];
  if (process.argv.includes('--if-stale') && fs.existsSync(stamp)) {
    if (fs.statSync(stamp).mtimeMs >= newestMtime(inputs)) return;
  }
  fs.rmSync(outRoot, { recursive: true, force: true });
  await Promise.all(
    sources.map(async ({ file, kind }) => {
      const rel = path.relative(root, file);
      const target = path.join(outRoot, rel.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (kind === 'asset') return fs.promises.copyFile(file, target);
      const r = await swc.transformFile(file, kind === 'web' ? webOptions(file) : nodeOptions(file));
      const base = path.basename(target);
      await fs.promises.writeFile(target, `${r.code}\n//# sourceMappingURL=${base}.map\n`);
      if (r.map) await fs.promises.writeFile(`${target}.map`, r.map);
    }),
  );
  // help, version and completion are answered from this manifest without booting Nest (see apps/cli/src/main.ts)
  const manifest = spawnSync(
    process.execPath,
    [path.join(outRoot, 'apps/cli/src/startup/write-cli-manifest.js')],
    {
      stdio: 'inherit',
    },
  );
  if (manifest.status !== 0) throw new Error('writing the CLI manifest failed');
  fs.chmodSync(path.join(outRoot, 'apps/cli/src/main.js'), 0o755);
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
  if (!process.argv.includes('--quiet')) {
    process.stderr.write(`build: ${sources.length} files → dist/ in ${Date.now() - started} ms\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`build failed: ${e.message}\n`);
  process.exit(1);
});
