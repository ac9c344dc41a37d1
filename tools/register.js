// Runs the TypeScript sources directly (no build step): SWC compiles each file on load, with decorator
// metadata for Nest DI, and the tsconfig `paths` (@resdet/*) are resolved by tsconfig-paths.
process.env.SWC_NODE_PROJECT =
  process.env.SWC_NODE_PROJECT || require('path').join(__dirname, '..', 'tsconfig.json');
require('tsconfig-paths').register({
  baseUrl: require('path').join(__dirname, '..'),
  paths: require('../tsconfig.json').compilerOptions.paths,
});
require('@swc-node/register');
