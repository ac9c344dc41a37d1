/**
 * Training-step parity with torchvision 0.14 over several SGD steps, on wasm (the default backend, with every
 * kernel resdet registers for training: float64-accumulating Mean, conv weight/input gradients, segment sums,
 * max-pool and resize gradients, the fast transposed products) and on cpu.
 *
 * Fixture: tools/training/make_train_steps_fixture.py — a small FasterRCNN built from torchvision's own classes
 * with a trainable BatchNorm2d ResNet body, STEPS steps of torch.optim.SGD (momentum, weight decay) with
 * clip_grad_norm_ on two images. torchvision's sampler draws are replayed, and the RoI heads get torchvision's
 * proposals (ours are the same boxes, checked, but near-equal scores may order them differently, and the replayed
 * RoI sample is a list of indices into torchvision's order). Everything else — forward, losses, gradients,
 * clipping, the optimizer step and BatchNorm's running statistics — is resdet's, step after step, so a kernel
 * change that alters training fails here as a tolerance, not as a quieter demo.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'fs';
import { join } from 'path';
import { initRuntime } from '@resdet/runtime';
import { readSafetensors } from '@resdet/checkpoint';
import type { HostTensor, StateDict } from '@resdet/nn';
import { buildFasterRcnn, resolveConfig, type GeneralizedRCNN, type TargetBoxes } from '@resdet/detection';
import { clipGradNorm, registerFastWasmBackprop, Sgd } from '@resdet/training';
import { ReplaySampler } from '../support/replay-sampler';
import { maxAbsDiff } from '../support/max-abs-diff';

/** Each step's four losses, relative to torchvision's (float32 sums in another order, compounded per step). */
const LOSS_RTOL = 2e-4;
/** The global gradient norm before clipping, relative. */
const GRAD_NORM_RTOL = 2e-4;
/** Every tensor of the final state dict (weights and running statistics): max |Δ| / max(1e-2, max |torch|). */
const STATE_RTOL = 1e-4;
/** Our RPN's training proposals vs torchvision's: a proposal matches within PROPOSAL_TOL px; ≥ this share match. */
const PROPOSAL_TOL = 1e-2;
const MIN_PROPOSALS_MATCHED = 0.99;

const DIR = join(__dirname, '../fixtures/training');
const meta = JSON.parse(readFileSync(join(DIR, 'train_steps.json'), 'utf8')) as {
  config: Record<string, number & number[]>;
  sgd: { lr: number; momentum: number; weightDecay: number };
  clipGradNorm: number;
  steps: number;
  lossNames: string[];
};
const initial: StateDict = readSafetensors(join(DIR, 'train_steps.weights.safetensors')).tensors;
const expected: StateDict = readSafetensors(join(DIR, 'train_steps.expected.safetensors')).tensors;

function get(k: string): HostTensor {
  const t = expected.get(k);
  if (!t) throw new Error(`fixture has no ${k}`);
  return t;
}
const floats = (k: string) => Float32Array.from(get(k).data as Float32Array);
const ints = (k: string) => Array.from(get(k).data as Int32Array);
const IMAGES = [0, 1];

function draws(kind: 'rpn' | 'roi') {
  return [...Array(meta.steps).keys()].map((s) =>
    IMAGES.map((i) => ({ pos: ints(`step.${s}.${kind}_pos.${i}`), neg: ints(`step.${s}.${kind}_neg.${i}`) })),
  );
}

function model(rpn: ReplaySampler, roi: ReplaySampler): GeneralizedRCNN {
  const c = meta.config;
  const m = buildFasterRcnn(
    resolveConfig({
      numClasses: c.numClasses,
      minSize: c.minSize,
      maxSize: c.maxSize,
      backboneDepth: 18,
      backboneWidth: c.stemWidth,
      backboneLayers: c.blocks as unknown as [number, number, number, number],
      backboneNorm: 'batch',
      trainableLayers: 5,
      fpnOutChannels: c.fpnOutChannels,
      representationSize: c.representationSize,
    }),
    { rpnSampler: rpn, boxSampler: roi },
  );
  m.loadStateDict(initial);
  return m.train();
}

/**
 * Fraction of torchvision's proposals that have one of ours within PROPOSAL_TOL px (greedy one-to-one). Not 1 in
 * general: NMS over near-equal scores and the small-box filter may keep a different proposal here and there.
 */
function proposalsMatched(ours: Float32Array, theirs: Float32Array): number {
  const n = ours.length / 4;
  const m = theirs.length / 4;
  const used = new Uint8Array(n);
  let matched = 0;
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      let d = 0;
      for (let k = 0; k < 4 && d <= PROPOSAL_TOL; k++)
        d = Math.max(d, Math.abs(ours[4 * i + k] - theirs[4 * j + k]));
      if (d <= PROPOSAL_TOL) {
        used[i] = 1;
        matched++;
        break;
      }
    }
  }
  return matched / Math.max(m, 1);
}

async function trainSteps(backend: 'wasm' | 'cpu', numSteps: number) {
  await initRuntime({ backend: 'wasm' });
  await tf.setBackend(backend);
  if (backend === 'wasm') registerFastWasmBackprop();
  const rpn = new ReplaySampler(draws('rpn'));
  const roi = new ReplaySampler(draws('roi'));
  const m = model(rpn, roi);
  const params = m.trainableParameters();
  const sgd = new Sgd(params, { momentum: meta.sgd.momentum, weightDecay: meta.sgd.weightDecay });
  const images = IMAGES.map((i) => {
    const t = get(`image.${i}`);
    return tf.tidy(() =>
      tf.div(tf.tensor3d(Float32Array.from(t.data as Uint8Array), t.shape as [number, number, number]), 255),
    ) as tf.Tensor3D;
  });
  const targets: TargetBoxes[] = IMAGES.map((i) => ({
    boxes: floats(`target.${i}.boxes`),
    labels: Int32Array.from(ints(`target.${i}.labels`)),
  }));
  const steps: { losses: number[]; gradNorm: number; proposalsMatched: number }[] = [];
  for (let s = 0; s < numSteps; s++) {
    let losses: number[] = [];
    let matched = 1;
    const { value, grads } = tf.variableGrads(
      () => {
        const batch = m.transform.forward(
          images,
          targets.map((t) => t.boxes),
        );
        const shapes = {
          batchSize: [batch.tensors.shape[1], batch.tensors.shape[2]] as const,
          imageSizes: batch.imageSizes,
        };
        const features = m.backbone.forward(batch.tensors);
        const { proposals, losses: rpnLosses } = m.rpn.forwardWithLosses(shapes, features, batch.targets!);
        const torchProposals = IMAGES.map((i) => floats(`step.${s}.proposals.${i}`));
        for (const i of IMAGES)
          matched = Math.min(matched, proposalsMatched(proposals.boxes[i], torchProposals[i]));
        const resized = batch.targets!.map((boxes, i) => ({ boxes, labels: targets[i].labels }));
        const roiLosses = m.roiHeads.computeLosses(features, torchProposals, batch.imageSizes, resized);
        const all: Record<string, tf.Scalar> = { ...rpnLosses, ...roiLosses };
        losses = meta.lossNames.map((n) => all[n].dataSync()[0]);
        return tf.addN(meta.lossNames.map((n) => all[n])) as tf.Scalar;
      },
      params.map(([, v]) => v),
    );
    const named = new Map(params.map(([n, v]) => [n, grads[v.name]]));
    const clipped = await clipGradNorm(named, meta.clipGradNorm);
    sgd.step(clipped.grads, meta.sgd.lr);
    tf.dispose([value, ...Object.values(grads), ...clipped.grads.values()]);
    steps.push({ losses, gradNorm: clipped.totalNorm, proposalsMatched: matched });
  }
  const state = m.stateDict();
  tf.dispose(images);
  sgd.dispose();
  m.dispose();
  return { steps, state };
}

/**
 * wasm runs every recorded step and is checked down to the final state dict. tfjs's cpu backend (the fallback) has
 * no fast convolution gradients (~0.01 GFLOP/s for the weight gradient), so it runs CPU_STEPS steps: the losses of
 * step 2 already depend on step 1's gradients, clipping and update.
 */
const CPU_STEPS = 2;

describe.each([
  ['wasm', meta.steps],
  ['cpu', CPU_STEPS],
] as const)('%s: %i SGD steps of a BatchNorm Faster R-CNN vs torchvision 0.14', (backend, numSteps) => {
  let run: Awaited<ReturnType<typeof trainSteps>>;
  beforeAll(async () => {
    run = await trainSteps(backend, numSteps);
  }, 600_000);

  it(`matches every step's four losses (rtol ${LOSS_RTOL}) and gradient norm (rtol ${GRAD_NORM_RTOL})`, () => {
    expect(run.steps).toHaveLength(numSteps);
    run.steps.forEach((s, k) => {
      const want = floats(`step.${k}.losses`);
      const lossErr = Math.max(...s.losses.map((v, j) => Math.abs(v - want[j]) / Math.abs(want[j])));
      const wantNorm = floats(`step.${k}.grad_norm`)[0];
      const normErr = Math.abs(s.gradNorm - wantNorm) / wantNorm;
      expect({
        step: k,
        losses: s.losses,
        lossOk: lossErr < LOSS_RTOL,
        normOk: normErr < GRAD_NORM_RTOL,
      }).toEqual({
        step: k,
        losses: s.losses,
        lossOk: true,
        normOk: true,
      });
      expect(s.proposalsMatched).toBeGreaterThanOrEqual(MIN_PROPOSALS_MATCHED);
    });
  });

  if (numSteps === meta.steps) {
    it(`ends with torchvision's weights and BatchNorm running statistics (rtol ${STATE_RTOL})`, () => {
      const keys = [...initial.keys()];
      expect([...run.state.keys()].sort()).toEqual([...keys].sort());
      const bad: { key: string; rel: number }[] = [];
      let moved = 0;
      for (const key of keys) {
        const want = get(`final.${key}`);
        if (want.dtype === 'int64') {
          expect(run.state.get(key)!.data).toEqual(want.data);
          continue;
        }
        const ref = want.data as Float32Array;
        const ours = run.state.get(key)!.data as Float32Array;
        const scale = Math.max(1e-2, ...Array.from(ref, Math.abs));
        const rel = maxAbsDiff(ours, ref) / scale;
        if (!(rel < STATE_RTOL)) bad.push({ key, rel });
        moved = Math.max(moved, maxAbsDiff(ref, initial.get(key)!.data as Float32Array) / scale);
      }
      expect(bad).toEqual([]);
      // The recorded steps really moved the weights, far beyond the tolerance.
      expect(moved).toBeGreaterThan(100 * STATE_RTOL);
    });
  }
});
