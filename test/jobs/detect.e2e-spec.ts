import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { runCli, writeTinyDetector } from '@resdet/testing';

async function writeImage(file: string, w: number, h: number, seed: number): Promise<void> {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17) % 251;
  const img = sharp(data, { raw: { width: w, height: h, channels: 3 } });
  await (file.endsWith('.png') ? img.png() : img.jpeg()).toFile(file);
}

describe('detect (e2e, CLI child process)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'resdet-detect-'));
  const input = path.join(root, 'images');
  let weights: string;

  beforeAll(async () => {
    weights = await writeTinyDetector(root);
    mkdirSync(path.join(input, 'nested', 'deeper'), { recursive: true });
    await writeImage(path.join(input, 'a.jpg'), 96, 72, 1);
    await writeImage(path.join(input, 'nested', 'b.png'), 64, 80, 2);
    await writeImage(path.join(input, 'nested', 'deeper', 'c.jpg'), 80, 80, 3);
    // the same JPEG bytes under a misleading name: content decides
    writeFileSync(path.join(input, 'nested', 'd.dat'), readFileSync(path.join(input, 'a.jpg')));
    const jpeg = readFileSync(path.join(input, 'a.jpg'));
    writeFileSync(path.join(input, 'corrupt.jpg'), jpeg.subarray(0, 200)); // truncated JPEG
    writeFileSync(path.join(input, 'empty.png'), Buffer.alloc(0));
    writeFileSync(path.join(input, 'notes.txt'), 'not an image\n');
  });

  it('processes the good images, reports the bad ones, exits 0 and draws boxes', async () => {
    const out = path.join(root, 'results.json');
    const drawn = path.join(root, 'drawn');
    const r = runCli([
      'detect',
      '--weights',
      weights,
      '--out',
      out,
      '--save-images',
      drawn,
      '--batch-size',
      '2',
      input,
    ]);
    expect(r.stderr).toMatch(/skip corrupt\.jpg: .*corrupt or truncated/);
    expect(r.stderr).toMatch(/skip empty\.png: .*empty file/);
    expect(r.stderr).toMatch(/skip notes\.txt: .*not a JPEG, PNG/);
    expect(r.stderr).toMatch(/detect: 4 processed, 3 skipped/);
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as {
      file_name: string;
      bbox: number[];
      label: string;
    }[];
    expect(new Set(results.map((x) => x.file_name))).toEqual(
      new Set(['a.jpg', 'nested/b.png', 'nested/deeper/c.jpg', 'nested/d.dat']),
    );
    for (const x of results) {
      expect(x.bbox).toHaveLength(4);
      expect(['circle', 'cross', 'square']).toContain(x.label);
    }
    // drawings mirror the tree and differ from the inputs
    const drawnA = path.join(drawn, 'a.jpg');
    expect(existsSync(path.join(drawn, 'nested', 'deeper', 'c.jpg'))).toBe(true);
    expect(existsSync(path.join(drawn, 'nested', 'd.dat.png'))).toBe(true);
    const [orig, mark] = await Promise.all([
      sharp(path.join(input, 'a.jpg')).raw().toBuffer(),
      sharp(drawnA).raw().toBuffer(),
    ]);
    expect(mark.length).toBe(orig.length);
    let changed = 0;
    for (let i = 0; i < orig.length; i++) if (Math.abs(orig[i] - mark[i]) > 40) changed++;
    expect(changed).toBeGreaterThan(100);
  });

  it('--engine ort and --engine tfjs give the same detections (class, IoU ≥ 0.99, |Δscore| ≤ 1e-3)', () => {
    const run = (engine: string) => {
      const out = path.join(root, `engine-${engine}.json`);
      const r = runCli(['detect', '--weights', weights, '--engine', engine, '--out', out, input]);
      expect(r.status).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')) as {
        file_name: string;
        category_id: number;
        bbox: number[];
        score: number;
      }[];
    };
    const ort = run('ort');
    const tfjs = run('tfjs');
    expect(ort.length).toBeGreaterThan(10);
    const iou = (a: number[], b: number[]) => {
      const w = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
      const h = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
      return (w * h) / (a[2] * a[3] + b[2] * b[3] - w * h);
    };
    const matched = ort.filter((d) =>
      tfjs.some(
        (t) =>
          t.file_name === d.file_name &&
          t.category_id === d.category_id &&
          iou(t.bbox, d.bbox) >= 0.99 &&
          Math.abs(t.score - d.score) <= 1e-3,
      ),
    );
    expect(matched.length / ort.length).toBeGreaterThanOrEqual(0.99);
    expect(tfjs.length).toBe(ort.length);
  });

  it.each(['tfjs', 'ort'])(
    'thin and tiny images (2×3000, 1×1, 1×4000, 5000×40, 33×1) each get an NDJSON line; a corrupt file is skipped, exit 0 (--engine %s)',
    async (engine) => {
      const dir = path.join(root, `odd-${engine}`);
      mkdirSync(dir, { recursive: true });
      const sizes: [number, number][] = [
        [3000, 2],
        [1, 1],
        [4000, 1],
        [40, 5000],
        [1, 33],
      ];
      for (const [w, h] of sizes) await writeImage(path.join(dir, `${w}x${h}.png`), w, h, w + h);
      writeFileSync(path.join(dir, 'broken.png'), readFileSync(path.join(dir, '1x1.png')).subarray(0, 30));
      const out = path.join(root, `odd-${engine}.ndjson`);
      const r = runCli([
        'detect',
        '--weights',
        weights,
        '--engine',
        engine,
        '--format',
        'ndjson',
        '--out',
        out,
        dir,
      ]);
      expect(r.stderr).toMatch(/skip broken\.png: /);
      expect(r.stderr).toMatch(/detect: 5 processed, 1 skipped/);
      expect(r.status).toBe(0);
      const lines = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.file_name).sort()).toEqual(sizes.map(([w, h]) => `${w}x${h}.png`).sort());
      for (const l of lines) {
        const [w, h] = (l.file_name as string).replace('.png', '').split('x').map(Number);
        expect([l.width, l.height]).toEqual([w, h]);
        for (const d of l.detections as { bbox: number[] }[]) {
          const [x, y, bw, bh] = d.bbox;
          expect(x).toBeGreaterThanOrEqual(0);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(x + bw).toBeLessThanOrEqual(w + 1e-3);
          expect(y + bh).toBeLessThanOrEqual(h + 1e-3);
        }
      }
    },
  );

  it('--strict exits non-zero when something was skipped', () => {
    const r = runCli(['detect', '--weights', weights, '--strict', input]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--strict: 3 input\(s\) could not be processed/);
  });

  it('NDJSON --resume processes only the images not yet in the output', () => {
    const out = path.join(root, 'results.ndjson');
    const first = runCli(['detect', '--weights', weights, '--format', 'ndjson', '--out', out, input]);
    expect(first.status).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    // a run killed after two images, in the middle of writing the third line
    writeFileSync(out, lines.slice(0, 2).join('\n') + '\n' + lines[2].slice(0, 15));
    const r = runCli(['detect', '--weights', weights, '--format', 'ndjson', '--out', out, '--resume', input]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/resume: 2 images already in/);
    expect(r.stderr).toMatch(/detect: 2 processed, 3 skipped/);
    const names = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).file_name);
    expect(names.sort()).toEqual(['a.jpg', 'nested/b.png', 'nested/d.dat', 'nested/deeper/c.jpg'].sort());
  });
});
