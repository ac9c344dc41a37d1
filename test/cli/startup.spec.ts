import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT, writeTinyDetector } from '@resdet/testing';
import { runCliRecordingPackages as run } from '../support/loaded-packages';

const NEST = ['@nestjs/common', '@nestjs/core', 'nest-commander'];
const COCO_SMALL = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'coco-eval', 'small');

/** Runs a shell script (bash or zsh, `-f`: no user start-up files) and returns its stdout lines. */
function shell(sh: 'bash' | 'zsh', script: string): string[] {
  const r = spawnSync(sh, sh === 'zsh' ? ['-f', '-c', script] : ['-c', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

/** Asks the completion function what follows `words` (the last one being typed), as the shell would. */
function completeScript(words: string[]): string {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  return `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _resdet_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
}

describe('resdet start-up', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-startup-'));

  it.each([[['--help']], [['detect', '--help']], [['dataset', 'shapes', '-h']], [['help', 'eval']]])(
    '%j prints help with an example and loads no Nest, tensor backend, sharp or onnxruntime',
    (args) => {
      const r = run(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: resdet/);
      expect(r.stdout).toMatch(/Example:\n {2}resdet /);
      expect(r.heavy).toEqual([]);
    },
  );

  it('--version prints package.json version', () => {
    const r = run(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')).version);
    expect(r.heavy).toEqual([]);
  });

  it('completion bash is valid bash that completes commands, subcommands and flags', () => {
    const bash = run(['completion', 'bash']);
    expect(bash.status).toBe(0);
    expect(bash.heavy).toEqual([]);
    const file = path.join(root, 'resdet.bash');
    writeFileSync(file, bash.stdout);
    expect(shell('bash', `bash -n ${file} && echo ok`)).toEqual(['ok']);
    expect(shell('bash', `source ${file}; complete -p resdet`)).toEqual([
      'complete -o default -F _resdet_complete resdet',
    ]);
    const complete = (...words: string[]) => shell('bash', `source ${file}; ${completeScript(words)}`);
    expect(complete('resdet', 'de')).toEqual(['demo', 'detect']);
    expect(complete('resdet', 'dataset', '')).toEqual(['check', 'shapes', '--help']);
    expect(complete('resdet', 'detect', '--score')).toEqual(['--score-threshold']);
    expect(complete('resdet', 'dataset', 'check', '--st')).toEqual(['--strict']);
    expect(complete('resdet', 'jobs', 'results', 'x', '--fo')).toEqual(['--format']);
  });

  it('completion zsh is valid zsh that registers the completion without a prior compinit', () => {
    const zsh = run(['completion', 'zsh']);
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef resdet\n/);
    const file = path.join(root, 'resdet.zsh');
    writeFileSync(file, zsh.stdout);
    expect(shell('zsh', `zsh -n ${file} && echo ok`)).toEqual(['ok']);
    // as in ~/.zshrc; zsh's compgen lists every candidate and zsh itself filters them by the typed prefix
    const load = `eval "$(cat ${file})"; setopt ksharrays`;
    expect(shell('zsh', `${load}; print -r -- \${_comps[resdet]}`)).toEqual([
      '_bash_complete -o default -F _resdet_complete',
    ]);
    const complete = (...words: string[]) => shell('zsh', `${load}; ${completeScript(words)}`);
    expect(complete('resdet', 'de')).toEqual(expect.arrayContaining(['demo', 'detect', 'dataset']));
    expect(complete('resdet', 'dataset', '')).toEqual(['check', 'shapes', '--help']);
    expect(complete('resdet', 'detect', '--score')).toContain('--score-threshold');
    expect(complete('resdet', 'detect', '--score')).not.toContain('--split');
  });

  it('an unknown shell for completion is a usage error', () => {
    const bad = run(['completion', 'fish']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown shell 'fish'");
  });

  it('an unknown command boots the Nest CLI to report it; a bad --log-format is rejected before anything loads', () => {
    const unknown = run(['no-such-command']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'no-such-command'");
    expect(unknown.heavy).toEqual(expect.arrayContaining(NEST));
    const bad = run(['--log-format', 'xml', 'doctor']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('error: --log-format must be pretty or json, got xml\n');
    expect(bad.heavy).toEqual([]);
  });

  it('eval --gt --dt loads only its own command: Nest, no tensor backend, sharp or onnxruntime', () => {
    const out = path.join(root, 'eval.json');
    const r = run([
      'eval',
      '--gt',
      path.join(COCO_SMALL, 'gt.json'),
      '--dt',
      path.join(COCO_SMALL, 'dt.json'),
      '--json',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = 0\.182/,
    );
    const expected = JSON.parse(readFileSync(path.join(COCO_SMALL, 'expected.json'), 'utf8')) as {
      stats: number[];
    };
    const stats = (JSON.parse(readFileSync(out, 'utf8')) as { stats: number[] }).stats;
    stats.forEach((s, i) => expect(s).toBeCloseTo(expected.stats[i], 9));
    expect(r.heavy).toEqual(NEST);
  });

  it('dataset shapes loads sharp to write images, and no tensor backend or onnxruntime', () => {
    const out = path.join(root, 'shapes');
    const r = run([
      'dataset',
      'shapes',
      '--out',
      out,
      '--format',
      'coco',
      '--count',
      '2',
      '--val-count',
      '1',
      '--size',
      '64x64',
    ]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    const coco = JSON.parse(readFileSync(path.join(out, 'annotations', 'instances_train.json'), 'utf8')) as {
      images: unknown[];
    };
    expect(coco.images.length).toBeGreaterThan(0);
    expect(r.heavy).toEqual([...NEST, 'sharp']);
  });

  it('detect --engine tfjs loads what it needs (a tensor backend, sharp), not onnxruntime, and detects', async () => {
    const weights = await writeTinyDetector(root);
    const image = path.join(root, 'one.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 30 } } })
      .png()
      .toFile(image);
    const out = path.join(root, 'one.ndjson');
    const r = run([
      'detect',
      '--weights',
      weights,
      '--engine',
      'tfjs',
      '--format',
      'ndjson',
      '--out',
      out,
      image,
    ]);
    expect(r.stderr).toMatch(/detect: 1 processed, 0 skipped/);
    expect(r.status).toBe(0);
    const line = JSON.parse(readFileSync(out, 'utf8').trim()) as {
      width: number;
      height: number;
      detections: unknown[];
    };
    expect([line.width, line.height]).toEqual([64, 48]);
    expect(r.heavy).toEqual(expect.arrayContaining([...NEST, '@tensorflow/tfjs-core', 'sharp']));
    expect(r.heavy).not.toContain('onnxruntime-node');
  });
});
