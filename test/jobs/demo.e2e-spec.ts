/**
 * `demo` end to end, shortened (8 generated training images, 3 iterations, 4 held-out images) so that it fits a
 * CI budget: the full demo trains for minutes. Checks that every piece produces its real output — the 12 COCO
 * numbers printed and in metrics.json, drawn held-out images, a checkpoint with its sidecar, COCO results, and
 * the serve hint — and that the same seed gives the same metrics, and the same detections and drawings whether
 * the detection step runs in this thread (`--workers 1`) or in two worker threads.
 */
import { existsSync, mkdtempSync, promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors } from '@resdet/checkpoint';
import { runCli } from '@resdet/testing';

const dir = mkdtempSync(path.join(os.tmpdir(), 'resdet-demo-e2e-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('demo (e2e, shortened)', () => {
  it('generates data, trains, evaluates, draws detections and says where everything is', () => {
    const out = path.join(dir, 'demo');
    const r = runCli([
      'demo',
      '--out',
      out,
      '--seed',
      '3',
      '--iterations',
      '3',
      '--train-images',
      '8',
      '--val-images',
      '4',
      '--draw-threshold',
      '0', // a 3-iteration model scores low: draw everything so the drawings have boxes
      '--workers',
      '1',
    ]);
    expect(r.stderr).not.toMatch(/^error: (?!XDG_RUNTIME_DIR)/m); // (that one is Dawn's probe talking)
    expect(r.status).toBe(0);
    const summary = r.stdout.split('\n').filter((l) => /^ Average (Precision|Recall)/.test(l));
    expect(summary).toHaveLength(12);

    const metrics = JSON.parse(readFileSync(path.join(out, 'train', 'metrics.json'), 'utf8'));
    expect(metrics.stats).toHaveLength(12);
    expect(metrics.iteration).toBe(3);
    expect(metrics.lines).toEqual(summary);
    expect(Object.keys(metrics.per_category).length).toBeGreaterThan(0);

    const drawn = readdirSync(path.join(out, 'detections'));
    expect(drawn).toHaveLength(4);
    const valImages = readdirSync(path.join(out, 'data', 'val')).sort();
    expect(drawn.sort()).toEqual(valImages);
    for (const f of drawn)
      expect(
        readFileSync(path.join(out, 'detections', f)).equals(readFileSync(path.join(out, 'data', 'val', f))),
      ).toBe(false);

    expect(existsSync(path.join(out, 'train', 'model.safetensors'))).toBe(true);
    const sidecar = JSON.parse(readFileSync(path.join(out, 'train', 'model.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      arch: 'fasterrcnn_shapes_demo',
      classes: ['__background__', 'circle', 'cross', 'square', 'triangle'],
      iteration: 3,
    });
    const results = JSON.parse(readFileSync(path.join(out, 'detections.json'), 'utf8'));
    expect(Array.isArray(results)).toBe(true);

    expect(r.stdout).toContain('npm run cli -- serve --weights');
    expect(r.stdout).toMatch(/metrics: +.*metrics\.json/);
    expect(r.stdout).toMatch(/drawn images: +.*detections\//);

    // Deterministic for a seed: a second run gives the same numbers, and detecting with two workers gives the
    // same results and drawings as in-process.
    const again = runCli([
      'demo',
      '--out',
      path.join(dir, 'again'),
      '--seed',
      '3',
      '--iterations',
      '3',
      '--train-images',
      '8',
      '--val-images',
      '4',
      '--draw-threshold',
      '0',
      '--workers',
      '2',
    ]);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/2 detector workers/);
    expect(r.stderr).not.toMatch(/detector workers/);
    const metrics2 = JSON.parse(readFileSync(path.join(dir, 'again', 'train', 'metrics.json'), 'utf8'));
    expect(metrics2.stats).toEqual(metrics.stats);
    const sd1 = readSafetensors(path.join(out, 'train', 'model.safetensors')).tensors;
    const sd2 = readSafetensors(path.join(dir, 'again', 'train', 'model.safetensors')).tensors;
    expect([...sd2.keys()]).toEqual([...sd1.keys()]);
    for (const [k, t] of sd1)
      expect(Buffer.from(sd2.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    expect(readFileSync(path.join(dir, 'again', 'detections.json'), 'utf8')).toBe(
      readFileSync(path.join(out, 'detections.json'), 'utf8'),
    );
    for (const f of drawn)
      expect(
        readFileSync(path.join(dir, 'again', 'detections', f)).equals(
          readFileSync(path.join(out, 'detections', f)),
        ),
      ).toBe(true);
  });
});
