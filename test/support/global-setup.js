// Tests that spawn the CLI run the built entry (dist/); build it first when any source is newer than the build.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'tools', 'build.js'), '--if-stale'], {
    stdio: 'inherit',
  });
};
