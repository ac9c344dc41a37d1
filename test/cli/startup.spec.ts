import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI_ENTRY, REPO_ROOT } from '../support/cli';

/**
 * Runs the built entry with argv and reports which heavy packages the process loaded (require.cache at exit),
 * so help/version/completion are proven not to load Nest, a tensor backend, sharp or onnxruntime.
 */
function runTracked(args: string[]) {
  const probe = `
    const heavy = /node_modules\\/(@tensorflow|sharp|onnxruntime-node|@nestjs|nest-commander|pino|webgpu)\\//;
    process.on('exit', () => {
      const loaded = Object.keys(require.cache).filter((f) => heavy.test(f)).map((f) => f.match(heavy)[1]);
      require('fs').writeSync(3, JSON.stringify([...new Set(loaded)]));
    });
    process.argv = [process.argv[0], ${JSON.stringify(CLI_ENTRY)}, ...${JSON.stringify(args)}];
    require(${JSON.stringify(CLI_ENTRY)});`;
  const r = spawnSync(process.execPath, ['-e', probe], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    loaded: JSON.parse(r.output[3] || '[]') as string[],
  };
}

describe('resdet start-up', () => {
  it.each([[['--help']], [['detect', '--help']], [['dataset', 'shapes', '-h']], [['help', 'eval']]])(
    '%j prints help with an example and loads no Nest, tensor backend, sharp or onnxruntime',
    (args) => {
      const r = runTracked(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: resdet/);
      expect(r.stdout).toMatch(/Example:\n {2}resdet /);
      expect(r.loaded).toEqual([]);
    },
  );

  it('--version prints package.json version', () => {
    const r = runTracked(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')).version);
    expect(r.loaded).toEqual([]);
  });

  it('completion bash lists commands and per-command flags; an unknown shell is a usage error', () => {
    const bash = runTracked(['completion', 'bash']);
    expect(bash.status).toBe(0);
    expect(bash.stdout).toContain('complete -o default -F _resdet_complete resdet');
    expect(bash.stdout).toMatch(/"detect"\) words="[^"]*--score-threshold/);
    expect(bash.stdout).toMatch(/"dataset"\) words="check shapes|shapes check/);
    expect(runTracked(['completion', 'zsh']).stdout).toMatch(/^#compdef resdet/);
    const bad = runTracked(['completion', 'fish']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown shell 'fish'");
  });

  it('a real command boots the Nest CLI; a bad --log-format is rejected before anything loads', () => {
    const unknown = runTracked(['no-such-command']);
    expect(unknown.status).toBe(2);
    expect(unknown.loaded).toContain('nest-commander');
    const bad = runTracked(['--log-format', 'xml', 'doctor']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('error: --log-format must be pretty or json, got xml\n');
  });
});
