/**
 * The demo's training trajectory, pinned: the first ITERATIONS iterations of `demo` (configs/shapes_demo.json,
 * seed 0, its generated data) on the default backend must give the recorded losses to TRAJECTORY_RTOL. A change
 * to a kernel, the data, the sampler or the recipe that moves them (1.5159 → 1.5161 is enough) fails here, so
 * that it is made on purpose: re-record with
 *
 *     RESDET_RECORD_TRAJECTORY=1 npx jest test/training/demo-trajectory.spec.ts
 *
 * and re-measure the demo's figures in the README (`bench/demo.ts`, ../shared/tools/fresh-clone-check.sh).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initRuntime } from '@resdet/runtime';
import { trainOnShapes, type ShapesRunConfig } from '../support/shapes-training';

const TRAJECTORY_RTOL = 1e-5;
const ITERATIONS = 12;
const CONFIG = path.join(__dirname, '../../configs/shapes_demo.json');
const RECORD = path.join(__dirname, '../fixtures/training/demo-trajectory.json');

interface Recorded {
  config: string;
  seed: number;
  backend: string;
  losses: Record<string, number>[];
}

describe('the demo recipe (configs/shapes_demo.json, seed 0) follows its recorded trajectory', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-trajectory-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`first ${ITERATIONS} iterations' losses within ${TRAJECTORY_RTOL} relative`, async () => {
    const backend = await initRuntime({ backend: 'wasm' });
    const config = JSON.parse(fs.readFileSync(CONFIG, 'utf8')) as ShapesRunConfig;
    // Held-out evaluation does not touch the trajectory; a few images keep the run short.
    config.data = { ...config.data, maxValImages: 2 };
    const { losses } = await trainOnShapes({
      config,
      configSource: CONFIG,
      dir,
      seed: 0,
      iterations: ITERATIONS,
    });
    expect(losses).toHaveLength(ITERATIONS);
    if (process.env.RESDET_RECORD_TRAJECTORY) {
      const rec: Recorded = { config: 'configs/shapes_demo.json', seed: 0, backend, losses };
      fs.writeFileSync(RECORD, JSON.stringify(rec, null, 1) + '\n');
    }
    const want = JSON.parse(fs.readFileSync(RECORD, 'utf8')) as Recorded;
    expect(want.losses).toHaveLength(ITERATIONS);
    const off: string[] = [];
    want.losses.forEach((w, i) => {
      expect(Object.keys(losses[i]).sort()).toEqual(Object.keys(w).sort());
      for (const [k, v] of Object.entries(w)) {
        const rel = Math.abs(losses[i][k] - v) / Math.max(Math.abs(v), 1e-12);
        if (!(rel <= TRAJECTORY_RTOL)) off.push(`iteration ${i + 1} ${k}: ${losses[i][k]} vs recorded ${v}`);
      }
    });
    expect(off).toEqual([]);
  }, 300_000);
});
