import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeShapesDataset } from '@resdet/data';
import { REPO_ROOT, runCli } from '@resdet/testing';

const MODEL = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'shapes-demo.safetensors');

describe('detect and eval --model --workers (e2e, built CLI)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-workers-'));
  const images = path.join(root, 'shapes', 'train');
  const withCorrupt = path.join(root, 'with-corrupt');

  beforeAll(async () => {
    await writeShapesDataset({
      out: path.join(root, 'shapes'),
      format: 'coco',
      count: 7,
      valCount: 6,
      seed: 5,
    });
    mkdirSync(withCorrupt);
    for (const f of readdirSync(images)) copyFileSync(path.join(images, f), path.join(withCorrupt, f));
    const jpeg = readFileSync(path.join(images, readdirSync(images)[0]));
    writeFileSync(path.join(withCorrupt, '000000000004b.jpg'), jpeg.subarray(0, 300)); // truncated JPEG
  });

  const detect = (workers: number, input: string, out: string, format: 'json' | 'ndjson') =>
    runCli(
      [
        'detect',
        '--weights',
        MODEL,
        '--engine',
        'tfjs',
        '--batch-size',
        '2',
        '--workers',
        String(workers),
        '--format',
        format,
        '--out',
        out,
        input,
      ],
      { timeoutMs: 300_000 },
    );

  it('gives byte-identical NDJSON with 2 workers and with 1, lines in input order', () => {
    const one = detect(1, images, path.join(root, 'w1.ndjson'), 'ndjson');
    const two = detect(2, images, path.join(root, 'w2.ndjson'), 'ndjson');
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    expect(two.stderr).toMatch(/2 detector workers/);
    expect(one.stderr).not.toMatch(/detector workers/);
    expect(two.stderr).not.toMatch(/tensors grew/);
    const a = readFileSync(path.join(root, 'w1.ndjson'), 'utf8');
    const b = readFileSync(path.join(root, 'w2.ndjson'), 'utf8');
    expect(b).toBe(a);
    const names = a
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { file_name: string }).file_name);
    expect(names).toEqual(readdirSync(images).sort());
    expect(a).toMatch(/"label":"(circle|cross|square|triangle)"/);
  });

  it('skips and reports a corrupt image, processes the others and exits 0', () => {
    const out = path.join(root, 'corrupt.json');
    const r = detect(2, withCorrupt, out, 'json');
    expect(r.stderr).toMatch(/skip 000000000004b\.jpg: .*corrupt or truncated/);
    expect(r.stderr).toMatch(/detect: 7 processed, 1 skipped/);
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { file_name: string }[];
    expect(new Set(results.map((x) => x.file_name))).toEqual(new Set(readdirSync(images)));
  });

  it('eval --model gives the same report with 2 workers as with 1', () => {
    const evalModel = (workers: number) => {
      const out = path.join(root, `eval-w${workers}.json`);
      const r = runCli(
        [
          'eval',
          '--model',
          MODEL,
          '--dataset',
          path.join(root, 'shapes'),
          '--split',
          'val',
          '--engine',
          'tfjs',
          '--workers',
          String(workers),
          '--json',
          out,
        ],
        { timeoutMs: 300_000 },
      );
      expect(r.status).toBe(0);
      return { stdout: r.stdout, stderr: r.stderr, json: readFileSync(out, 'utf8') };
    };
    const one = evalModel(1);
    const two = evalModel(2);
    expect(two.stderr).toMatch(/2 detector workers/);
    expect(two.json).toBe(one.json);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0.50 /);
  });
});
