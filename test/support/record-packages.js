// Preload for `node -r`: records the name of every package the process loads (from anywhere, node_modules
// included) and writes them, sorted, as a JSON array to the file named by RESDET_RECORD_PACKAGES at exit.
'use strict';
const Module = require('module');
const fs = require('fs');

const out = process.env.RESDET_RECORD_PACKAGES;
const seen = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  const exports = load.call(this, request, ...rest);
  // a bare specifier that loaded (optional requires that throw are not counted)
  const m = /^(?:@[^/.][^/]*\/)?[^/.][^/]*/.exec(request);
  if (m && !request.startsWith('node:') && !Module.isBuiltin(request)) seen.add(m[0]);
  return exports;
};
process.on('exit', () => {
  if (out) fs.writeFileSync(out, JSON.stringify([...seen].sort()));
});
