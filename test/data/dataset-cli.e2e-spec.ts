import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY } from '@resdet/testing';

const repo = path.join(__dirname, '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-dataset-cli-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** Runs `npm run cli -- …` the way a user does (the built entry). */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dataset CLI', () => {
  it('shapes writes a VOC tree that check accepts; a broken file makes check exit 1 naming it', async () => {
    const out = path.join(dir, 'voc');
    const gen = cli(
      'dataset',
      'shapes',
      '--out',
      out,
      '--format',
      'voc',
      '--count',
      '6',
      '--val-count',
      '2',
      '--seed',
      '3',
      '--size',
      '96x64',
    );
    expect(gen.stderr).not.toMatch(/error/);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toContain('train: 6 images');
    const ok = cli('dataset', 'check', '--format', 'voc', out);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/train: 6 images, \d+ boxes/);
    expect(ok.stdout).toMatch(/circle/);
    expect(ok.stdout).toMatch(/sqrt\(area\) min\/median\/max/);

    const zero = path.join(out, 'JPEGImages', '000002.jpg');
    await fs.writeFile(zero, '');
    const bad = cli('dataset', 'check', '--format', 'voc', out);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`problem: ${zero}: image empty: empty file (0 bytes)`);
  });

  it('check reports COCO images without annotations (negatives) as notes and exits 0; --strict exits 1', async () => {
    const out = path.join(dir, 'coco-negatives');
    const gen = cli('dataset', 'shapes', '--out', out, '--count', '3', '--val-count', '1', '--size', '64x64');
    expect(gen.code).toBe(0);
    const ann = path.join(out, 'annotations', 'instances_train.json');
    const doc = JSON.parse(await fs.readFile(ann, 'utf8'));
    const negative = doc.images[0];
    doc.annotations = doc.annotations.filter((a: { image_id: number }) => a.image_id !== negative.id);
    await fs.writeFile(ann, JSON.stringify(doc));

    const ok = cli('dataset', 'check', '--format', 'coco', out);
    expect(ok.stderr).toContain(
      `note: ${ann}: images[id=${negative.id}] ${negative.file_name} has no usable (non-crowd) annotation`,
    );
    expect(ok.stderr).toContain(
      'dataset check: 1 note(s): image-no-annotations 1 (legal; --strict fails on them)',
    );
    expect(ok.stderr).toContain('dataset check: no problems');
    expect(ok.code).toBe(0);
    const json = cli('dataset', 'check', '--format', 'coco', '--json', out);
    const report = JSON.parse(json.stdout) as { problems: unknown[]; notes: { kind: string }[] };
    expect([report.problems, report.notes.map((n) => n.kind)]).toEqual([[], ['image-no-annotations']]);
    expect(json.code).toBe(0);

    const strict = cli('dataset', 'check', '--format', 'coco', '--strict', out);
    expect(strict.stderr).toContain('image-no-annotations 1 (--strict: counted as problems)');
    expect(strict.code).toBe(1);
  });

  it('exits non-zero with a message for bad flags and paths', () => {
    const size = cli('dataset', 'shapes', '--out', path.join(dir, 'x'), '--size', '128');
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--size must look like AxB/);
    const missing = cli('dataset', 'check', '--format', 'coco', path.join(dir, 'nothing-here'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nothing-here: is neither a COCO instances JSON file/);
  });
});
