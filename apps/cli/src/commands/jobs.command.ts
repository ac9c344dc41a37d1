import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { ResultsFormat } from '@resdet/inference';
import type { DetectRuns } from '@resdet/queue';
import { followRun, reportRun } from '../common/follow-run';
import { parseResultsFormat } from '../common/model-options';

interface JobsFlags {
  queue?: string;
}

const log = (m: string) => process.stderr.write(m + '\n');

/** Every jobs subcommand talks to the queue named by --queue or RESDET_QUEUE. */
async function withRuns<T>(flags: JobsFlags, fn: (runs: DetectRuns) => Promise<T>): Promise<T> {
  const url = flags.queue ?? process.env.RESDET_QUEUE;
  if (!url) throw new Error('jobs needs --queue redis://HOST:PORT[/DB] (or RESDET_QUEUE)');
  const { DetectRuns, parseQueueUrl } = await import('@resdet/queue');
  const runs = DetectRuns.connect(parseQueueUrl(url));
  try {
    return await fn(runs);
  } finally {
    await runs.close();
  }
}

abstract class JobsSubCommand extends CommandRunner {
  @Option({ flags: '--queue <url>', description: 'the queue: redis://HOST:PORT[/DB] (or RESDET_QUEUE)' })
  parseQueue(v: string): string {
    return v;
  }
}

/** `jobs status ID [--json]`: state, counts, failed tasks of a queued run. */
@SubCommand({ name: 'status', arguments: '<id>', description: 'State and counts of a queued run' })
export class JobsStatusCommand extends JobsSubCommand {
  async run([id]: string[], flags: JobsFlags & { json?: boolean }): Promise<void> {
    await withRuns(flags, async (runs) => {
      const s = await runs.status(id);
      const q = await runs.counts();
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ...s, queue: q }, null, 2) + '\n');
        return;
      }
      const done = s.processed + s.skipped;
      process.stdout.write(
        [
          `run ${s.id}: ${s.state}, ${done}/${s.total} images (${s.processed} processed, ${s.skipped} skipped` +
            `${s.failedImages ? `, ${s.failedImages} failed` : ''}), ${s.detections} detections`,
          `tasks: ${s.chunksDone} done, ${s.chunksFailed} failed, ${s.chunks} in all; ${s.seconds.toFixed(1)} s`,
          `queue: ${q.waiting} waiting, ${q.active} active, ${q.delayed} retrying; ${q.workers} workers connected`,
          ...s.errors.map((e) => `failed task ${e.chunk} (${e.files.length} images): ${e.error}`),
        ].join('\n') + '\n',
      );
    });
  }

  @Option({ flags: '--json', description: 'print the status as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/** `jobs results ID [--out F] [--format ndjson|json] [--no-wait]`: a queued run's results, from any machine. */
@SubCommand({
  name: 'results',
  arguments: '<id>',
  description: 'Results of a queued run (waits for it to end unless --no-wait)',
})
export class JobsResultsCommand extends JobsSubCommand {
  async run(
    [id]: string[],
    flags: JobsFlags & { out?: string; format?: ResultsFormat; wait?: boolean; strict?: boolean },
  ): Promise<void> {
    await withRuns(flags, async (runs) => {
      const status = await followRun(runs, id, {
        out: flags.out,
        format: flags.format ?? 'ndjson',
        progress: Boolean(flags.out) || !process.stdout.isTTY,
        wait: flags.wait ?? true,
        log,
      });
      if (status.state === 'running') {
        log(
          `jobs: run ${id} still running: ${status.processed + status.skipped}/${status.total} images so far`,
        );
      } else {
        reportRun(status, { out: flags.out, strict: flags.strict, log });
      }
    });
  }

  @Option({ flags: '--out <file>', description: 'write results here (default stdout)' })
  parseOut(v: string): string {
    return v;
  }

  @Option({
    flags: '--format <fmt>',
    description: 'ndjson (default, one line per image) or json (COCO results list, input order)',
  })
  parseFormat(v: string): ResultsFormat {
    return parseResultsFormat(v);
  }

  @Option({ flags: '--no-wait', description: 'print what is recorded now instead of waiting for the end' })
  parseNoWait(): boolean {
    return false;
  }

  @Option({ flags: '--strict', description: 'exit 3 when any input was skipped (as detect --strict)' })
  parseStrict(): boolean {
    return true;
  }
}

/** `jobs cancel ID`: queued tasks are removed, busy workers stop at their next image. */
@SubCommand({ name: 'cancel', arguments: '<id>', description: 'Cancel a queued run' })
export class JobsCancelCommand extends JobsSubCommand {
  async run([id]: string[], flags: JobsFlags): Promise<void> {
    await withRuns(flags, async (runs) => {
      const cancelled = await runs.cancel(id);
      const s = await runs.status(id);
      process.stdout.write(
        cancelled
          ? `run ${id} cancelled after ${s.processed + s.skipped}/${s.total} images\n`
          : `run ${id} already ${s.state}\n`,
      );
    });
  }
}

/** `jobs status|results|cancel ID --queue redis://…`: queued runs, from any machine that reaches Redis. */
@Command({
  name: 'jobs',
  description: 'Queued detection runs: status, results, cancel',
  subCommands: [JobsStatusCommand, JobsResultsCommand, JobsCancelCommand],
})
export class JobsCommand extends CommandRunner {
  async run(args: string[]): Promise<void> {
    throw new Error(`jobs: unknown subcommand ${args[0] ?? '(none)'}; use "jobs status|results|cancel ID"`);
  }
}
