import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * The detector on the webgpu backend (Dawn's software adapter: OpenGL ES on Mesa llvmpipe, resdet's WGSL kernels
 * registered) against the host backends, with the same random seeded weights of the shapes-demo detector (score
 * threshold 0, so random weights give 100 boxes per image). Runs webgpu-detect.check.ts in a child process (see
 * there why).
 *
 * Tolerances:
 * - detections: webgpu's `predict` (awaited reads) vs wasm's (sync reads) — a one-to-one match with the same class,
 *   IoU ≥ DET_MIN_IOU and |Δscore| ≤ DET_SCORE_TOL for ≥ DET_MIN_MATCHED of the detections (boxes near the
 *   top-100 cut or with near-equal scores may legitimately swap), and more than 10 detections;
 * - training: one two-phase step on webgpu (phase 1 reads proposals with `await data()`) and phase 2 on cpu with
 *   webgpu's plan: each loss within LOSS_RTOL relative, and seven gradients (ResNet stem and layer4 through
 *   trainable BatchNorm, FPN, RPN head, box head, predictor) within GRAD_RTOL (max|Δ| / max|cpu|) — float32 with
 *   different summation orders; observed ≤ 1e-6 and ≤ 6e-6. (cpu, not wasm, is the gradient reference: wasm differs
 *   from both cpu and webgpu by ~1e-2 in the BatchNorm body's gradients on this random model.)
 * - the RPN's host decisions (anchor labels, sample) from webgpu's phase 1 equal wasm's exactly.
 */
const DET_MIN_IOU = 0.99;
const DET_SCORE_TOL = 1e-3;
const DET_MIN_MATCHED = 0.99;
const LOSS_RTOL = 1e-5;
const GRAD_RTOL = 1e-4;

interface Dets {
  boxes: number[];
  scores: number[];
  labels: number[];
}
interface CheckResult {
  log: string;
  detections: { webgpu: Dets[]; wasm: Dets[] };
  losses: { webgpu: Record<string, number>; cpu: Record<string, number> };
  gradErrors: Record<string, number>;
  rpnTargetsSame: boolean;
  roiSampleAgreement: number;
  times: Record<string, number>;
  error?: string;
}

function iou(a: number[], i: number, b: number[], j: number): number {
  const [ax1, ay1, ax2, ay2] = a.slice(4 * i, 4 * i + 4);
  const [bx1, by1, bx2, by2] = b.slice(4 * j, 4 * j + 4);
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : a.slice(4 * i, 4 * i + 4).every((v, k) => v === b[4 * j + k]) ? 1 : 0;
}

/** Greedy one-to-one matching of `ours` to `theirs` (same label, IoU, score); returns the number matched. */
function matched(ours: Dets, theirs: Dets): number {
  const used = new Uint8Array(theirs.scores.length);
  let n = 0;
  for (let i = 0; i < ours.scores.length; i++) {
    for (let j = 0; j < theirs.scores.length; j++) {
      if (used[j] || ours.labels[i] !== theirs.labels[j]) continue;
      if (Math.abs(ours.scores[i] - theirs.scores[j]) > DET_SCORE_TOL) continue;
      if (iou(ours.boxes, i, theirs.boxes, j) < DET_MIN_IOU) continue;
      used[j] = 1;
      n++;
      break;
    }
  }
  return n;
}

describe('the detector on webgpu (software adapter: Dawn OpenGL ES on llvmpipe) vs the host backends', () => {
  let result: CheckResult;
  beforeAll(() => {
    const root = path.join(__dirname, '..', '..');
    const out = execFileSync(
      process.execPath,
      ['-r', path.join(root, 'tools', 'register.js'), path.join(__dirname, 'webgpu-detect.check.ts')],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 },
    );
    result = JSON.parse(out.trim().split('\n').pop()!) as CheckResult;
  }, 130_000);

  it('runs on the software webgpu backend', () => {
    expect(result.error).toBeUndefined();
    expect(result.log).toMatch(/^resdet: tensor backend webgpu \(.*software\)$/);
  });

  it(`detections match wasm (same class, IoU ≥ ${DET_MIN_IOU}, |Δscore| ≤ ${DET_SCORE_TOL}) for ≥ ${DET_MIN_MATCHED * 100} %`, () => {
    const { webgpu, wasm } = result.detections;
    expect(webgpu).toHaveLength(2);
    expect(wasm).toHaveLength(2);
    let total = 0;
    let ok = 0;
    webgpu.forEach((d, i) => {
      total += Math.max(d.scores.length, wasm[i].scores.length);
      ok += matched(d, wasm[i]);
    });
    expect(total).toBeGreaterThan(10);
    expect({ total, ok, fraction: ok / total >= DET_MIN_MATCHED }).toEqual({ total, ok, fraction: true });
  });

  it(`a two-phase training step's losses (rtol ${LOSS_RTOL}) and gradients (rtol ${GRAD_RTOL}) match cpu on the same plan`, () => {
    const { webgpu, cpu } = result.losses;
    expect(Object.keys(webgpu).sort()).toEqual([
      'loss',
      'loss_box_reg',
      'loss_classifier',
      'loss_objectness',
      'loss_rpn_box_reg',
    ]);
    for (const [name, v] of Object.entries(cpu)) {
      expect(Number.isFinite(v)).toBe(true);
      const rel = Math.abs(webgpu[name] - v) / Math.max(Math.abs(v), 1e-6);
      expect({ name, ok: rel <= LOSS_RTOL }).toEqual({ name, ok: true });
    }
    expect(Object.keys(result.gradErrors)).toHaveLength(7);
    for (const [name, e] of Object.entries(result.gradErrors))
      expect({ name, ok: e <= GRAD_RTOL }).toEqual({ name, ok: true });
  });

  it("webgpu's phase 1 makes the same RPN decisions as wasm's", () => {
    expect(result.rpnTargetsSame).toBe(true);
  });
});
