// The training-quality run: `resdet demo` on the shortened recipe (test/fixtures/training/shapes-quality.json) in
// a child process. It takes minutes of one core, so jest's global setup starts it before the suite when the quality
// spec is selected (the in-band suite leaves the second core idle), the sequencer runs that spec last, and the spec
// only collects the result; run alone, the spec starts it itself. Plain JS: the global setup loads it untranspiled.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '../..');
const QUALITY_CONFIG = path.join(REPO_ROOT, 'test/fixtures/training/shapes-quality.json');
const QUALITY_SPEC = path.join(REPO_ROOT, 'test/training/training-quality.spec.ts');
const ENV_DIR = 'RESDET_QUALITY_RUN_DIR';

/**
 * Starts the run (seed 0) in a new folder and returns that folder: `stdout`, `stderr` and, once it has ended, `exit`
 * (its exit code or signal) appear there. The shell wrapper writes `exit` even when jest is gone.
 */
function startQualityRun(extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-quality-'));
  const cli = path.join(REPO_ROOT, 'dist/apps/cli/src/main.js');
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const args = [
    'demo',
    '--config',
    QUALITY_CONFIG,
    '--seed',
    '0',
    '--out',
    path.join(dir, 'run'),
    ...extraArgs,
  ];
  const cmd =
    `${q(process.execPath)} ${q(cli)} ${args.map(q).join(' ')} > ${q(path.join(dir, 'stdout'))} ` +
    `2> ${q(path.join(dir, 'stderr'))}; echo $? > ${q(path.join(dir, 'exit'))}`;
  const child = spawn('sh', ['-c', cmd], { cwd: REPO_ROOT, detached: true, stdio: 'ignore' });
  child.unref();
  fs.writeFileSync(path.join(dir, 'pid'), String(child.pid));
  return dir;
}

/** Ends a run still going (its whole process group) and removes its folder. */
function stopQualityRun(dir) {
  if (!dir || !fs.existsSync(dir)) return;
  const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
  if (!fs.existsSync(path.join(dir, 'exit'))) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Whether a jest run with this global config will run the quality spec (a guess; the spec copes when wrong). */
function qualitySpecSelected(globalConfig) {
  const pattern = globalConfig && globalConfig.testPathPattern;
  if (globalConfig && (globalConfig.onlyChanged || globalConfig.findRelatedTests || globalConfig.listTests))
    return false;
  if (!pattern) return true;
  try {
    return new RegExp(pattern, 'i').test(QUALITY_SPEC);
  } catch {
    return false;
  }
}

module.exports = {
  startQualityRun,
  stopQualityRun,
  qualitySpecSelected,
  QUALITY_CONFIG,
  QUALITY_SPEC,
  ENV_DIR,
};
