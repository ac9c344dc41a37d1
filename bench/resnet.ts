/**
 * ResNet runtime figures (not a test): ResNet-50 @224 forward (batch 1, eval, folded conv+BN) ms and
 * GFLOP/s per available backend, and one ResNet-18 training step (forward + backward + SGD) at batch 8.
 *
 *   node -r ./tools/register.js bench/resnet.ts [--iters 5] [--backends wasm,cpu] [--train-size 224]
 *
 * GFLOP counts are multiply-adds×2 of convs and fc (R50@224: 8.2 GFLOP, R18@224: 3.6 GFLOP), the
 * usual convention. Each backend runs in a child process (a tfjs process keeps one backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'child_process';
import { initRuntime } from '@resdet/runtime';
import { Conv2d, Linear } from '@resdet/nn';
import { Rng } from '@resdet/random';
import { ResNet, buildResNet } from '@resdet/resnet';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Multiply-add count ×2 for every conv and linear, from the module tree and torch output sizes. */
function gflops(net: ResNet, size: number): number {
  let flops = 0;
  const hooks: [Conv2d, number][] = [];
  for (const [, m] of net.namedModules()) if (m instanceof Conv2d) hooks.push([m, 0]);
  // trace spatial sizes by running shapes symbolically: replicate with a tiny forward on the real net
  tf.tidy(() => {
    const orig = Conv2d.prototype.forwardWith;
    Conv2d.prototype.forwardWith = function (this: Conv2d, x, w, b, a) {
      const y = orig.call(this, x, w, b, a);
      const [, oh, ow, oc] = y.shape;
      flops += 2 * oh * ow * oc * this.kernelSize[0] * this.kernelSize[1] * (this.inChannels / this.groups);
      return y;
    };
    try {
      net.forward(tf.zeros([1, size, size, 3]));
    } finally {
      Conv2d.prototype.forwardWith = orig;
    }
  });
  for (const [, m] of net.namedModules()) if (m instanceof Linear) flops += 2 * m.inFeatures * m.outFeatures;
  return flops / 1e9;
}

async function forwardBench(backend: string, iters: number): Promise<void> {
  await initRuntime({ backend });
  const net = buildResNet('resnet50', { rng: new Rng(0) }).eval();
  const g = gflops(net, 224);
  const x = tf.randomNormal([1, 224, 224, 3]);
  const run = async () => {
    const y = net.forward(x);
    await y.data();
    y.dispose();
  };
  let t = performance.now();
  await run(); // warm-up (also caches folded weights)
  const warm = performance.now() - t;
  const n = backend === 'cpu' ? 1 : iters;
  t = performance.now();
  for (let i = 0; i < n; i++) await run();
  const ms = (performance.now() - t) / n;
  console.log(
    `resnet50 fwd  backend=${backend.padEnd(5)} batch=1 224x224  ${ms.toFixed(1)} ms/img  ` +
      `${(g / (ms / 1000)).toFixed(2)} GFLOP/s  (${g.toFixed(2)} GFLOP, first call ${warm.toFixed(0)} ms, ${n} iters)`,
  );
  x.dispose();
  net.dispose();
}

async function trainBench(backend: string, size: number, batch: number): Promise<void> {
  await initRuntime({ backend });
  const net = buildResNet('resnet18', { rng: new Rng(0) }).train();
  const g = gflops(net, size) * batch;
  const x = tf.randomNormal([batch, size, size, 3]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 1000),
      'int32',
    ),
    1000,
  );
  const lr = 0.01;
  const step = async () => {
    const vars = net.trainableParameters().map(([, v]) => v);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, net.forward(x)) as tf.Scalar,
      vars,
    );
    tf.tidy(() => {
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
    });
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  let t = performance.now();
  const l0 = await step();
  const first = performance.now() - t;
  t = performance.now();
  const l1 = await step();
  const ms = performance.now() - t;
  console.log(
    `resnet18 train backend=${backend.padEnd(5)} batch=${batch} ${size}x${size}  ${ms.toFixed(0)} ms/step  ` +
      `fwd ${g.toFixed(1)} GFLOP (≈${((3 * g) / (ms / 1000)).toFixed(2)} GFLOP/s counting bwd as 2× fwd)  ` +
      `first step ${first.toFixed(0)} ms, loss ${l0.toFixed(3)} → ${l1.toFixed(3)}`,
  );
  tf.dispose([x, labels]);
  net.dispose();
}

async function main(): Promise<void> {
  const child = arg('child', '');
  if (child) {
    const [kind, backend] = child.split(':');
    if (kind === 'fwd') await forwardBench(backend, Number(arg('iters', '5')));
    else await trainBench(backend, Number(arg('train-size', '224')), Number(arg('batch', '8')));
    return;
  }
  const backends = arg('backends', 'wasm,cpu').split(',');
  const runChild = (spec: string) => {
    try {
      const out = execFileSync(
        process.execPath,
        [...process.execArgv, __filename, ...process.argv.slice(2), '--child', spec],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      process.stdout.write(out);
    } catch (e) {
      console.log(`${spec}: failed (${(e as Error).message.split('\n')[0]})`);
    }
  };
  for (const b of backends) runChild(`fwd:${b}`);
  runChild(`train:${arg('train-backend', 'wasm')}`);
}

void main();
