/**
 * Child process for signal.spec.ts: trains the toy task on the cpu backend with checkpoints in
 * argv[2], stopping gracefully on SIGTERM/SIGINT; `--resume` continues from the folder. Prints
 * `iteration N` per step and `done <reason> <iteration>` at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@resdet/random';
import {
  abortOnSignals,
  DirectoryCheckpointStore,
  Sgd,
  Trainer,
  trainableModule,
  warmupMultiStepLr,
} from '@resdet/training';
import { ToyBatch, ToyNet, ToyStream } from './toy-task';

export const CHILD_ITERATIONS = 200;

/** The run every process builds from seeds (the spec builds the same one in-process). */
export function toyRun(dir: string, signal?: AbortSignal, onIteration?: (i: number) => void) {
  const samplerRng = new Rng(2);
  const net = new ToyNet(new Rng(1), samplerRng);
  const optimizer = new Sgd(net.trainableParameters(), { momentum: 0.9, weightDecay: 1e-4 });
  const trainer = new Trainer<ToyBatch>({
    model: trainableModule(net, (m, b: ToyBatch) => m.computeLosses(b)),
    data: new ToyStream(new Rng(3)),
    optimizer,
    lr: warmupMultiStepLr({ baseLr: 0.02, warmupIters: 50, milestones: [150] }),
    maxIterations: CHILD_ITERATIONS,
    checkpoint: { store: new DirectoryCheckpointStore({ dir }), every: 1000 },
    rngs: { sampler: samplerRng },
    signal,
    onEvent: (e) => e.type === 'iteration' && onIteration?.(e.iteration),
  });
  return { net, trainer };
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const stop = abortOnSignals();
  const { trainer } = toyRun(process.argv[2], stop.signal, (i) => process.stdout.write(`iteration ${i}\n`));
  if (process.argv.includes('--resume')) await trainer.resume();
  const r = await trainer.run();
  stop.dispose();
  process.stdout.write(`done ${r.reason} ${r.iteration}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
