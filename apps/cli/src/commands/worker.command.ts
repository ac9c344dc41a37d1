import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'nest-commander';
import type { EngineName } from '@resdet/inference';
import { EngineCommand, positiveInt } from '../common/model-options';
import { resolveWeightsFlag } from '../common/weights-flag';

interface WorkerFlags {
  queue?: string;
  concurrency?: number;
  engine?: EngineName;
  backend?: string;
  lockMs?: number;
  stalledCheckMs?: number;
}

const log = (m: string) => process.stderr.write(m + '\n');

/**
 * `worker --queue redis://H:P [--concurrency N]`: takes detection tasks from the queue until stopped.
 * Each process runs one model on one thread, so N > 1 starts N worker processes (default: one per core)
 * and restarts any that crash. SIGTERM/SIGINT: the current tasks finish, then exit 0.
 */
@Command({
  name: 'worker',
  description: 'Process queued detection tasks (detect --queue, POST /v1/jobs) until SIGTERM',
})
export class WorkerCommand extends EngineCommand {
  async run(_args: string[], flags: WorkerFlags): Promise<void> {
    if (!flags.queue) throw new Error('worker needs --queue redis://HOST:PORT[/DB]');
    const { parseQueueUrl, startDetectWorker } = await import('@resdet/queue');
    const url = parseQueueUrl(flags.queue);
    const n = flags.concurrency ?? availableParallelism();
    if (n > 1) return superviseWorkers(n);

    const { readImage } = await import('@resdet/data');
    const { openDetector } = await import('@resdet/inference');
    const handle = await startDetectWorker({
      url,
      decode: (file) => readImage(file),
      // A task names its model by path; a registry name also works, from this machine's cache.
      loadDetector: async (source) =>
        openDetector({
          ...source,
          weights: source.weights && (await resolveWeightsFlag(source.weights)),
          engine: flags.engine ?? 'auto',
          backend: flags.backend,
          env: process.env,
          log,
        }),
      lockMs: flags.lockMs,
      stalledIntervalMs: flags.stalledCheckMs,
      log,
    });
    log(`worker ${process.pid}: waiting for tasks on ${url.display}`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        log(`worker ${process.pid}: ${sig}, finishing the current task`);
        void handle.close().then(resolve, (e: Error) => {
          log(`worker ${process.pid}: ${e.message}`);
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    log(`worker ${process.pid}: stopped`);
  }

  @Option({ flags: '--queue <url>', description: 'the queue: redis://HOST:PORT[/DB]', required: true })
  parseQueue(v: string): string {
    return v;
  }

  @Option({
    flags: '--concurrency <n>',
    description: 'worker processes on this machine (default: one per core)',
  })
  parseConcurrency(v: string): number {
    return positiveInt('--concurrency')(v);
  }

  @Option({
    flags: '--lock-ms <ms>',
    description:
      'task lock (default 30000): a dead worker’s task is retried after this; > slowest forward pass',
  })
  parseLockMs(v: string): number {
    return positiveInt('--lock-ms')(v);
  }

  @Option({
    flags: '--stalled-check-ms <ms>',
    description: 'how often to look for dead workers’ tasks (default 5000)',
  })
  parseStalledCheck(v: string): number {
    return positiveInt('--stalled-check-ms')(v);
  }
}

/** Runs n single-process workers (same flags, --concurrency 1), forwards stop signals, restarts crashes. */
async function superviseWorkers(n: number): Promise<void> {
  const args = withoutConcurrency(process.argv.slice(2));
  const children = new Set<ChildProcess>();
  let stopping = false;
  const start = () => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1], ...args, '--concurrency', '1'],
      {
        stdio: 'inherit',
      },
    );
    children.add(child);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      log(`worker: process ${child.pid} exited (${signal ?? code}); starting another`);
      setTimeout(() => !stopping && start(), 1000);
    });
  };
  for (let i = 0; i < n; i++) start();
  log(`worker: ${n} processes`);
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      stopping = true;
      for (const c of children) c.kill(sig);
      const check = setInterval(() => {
        if (children.size === 0) {
          clearInterval(check);
          resolve();
        }
      }, 100);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

function withoutConcurrency(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--concurrency') i++;
    else if (!argv[i].startsWith('--concurrency=')) out.push(argv[i]);
  }
  return out;
}
