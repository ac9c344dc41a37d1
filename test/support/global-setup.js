// Tests that spawn the CLI run the built entry (dist/); build it first when any source is newer than the build.
// Then start the training-quality run in the background when its spec is selected (see quality-run.js).
const { execFileSync } = require('child_process');
const path = require('path');
const { ENV_DIR, qualitySpecSelected, startQualityRun } = require('./quality-run');

module.exports = (globalConfig) => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'tools', 'build.js'), '--if-stale'], {
    stdio: 'inherit',
  });
  if (qualitySpecSelected(globalConfig) && !process.env[ENV_DIR]) process.env[ENV_DIR] = startQualityRun();
};
