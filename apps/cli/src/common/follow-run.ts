import type { NdjsonImageRecord, ResultsFormat } from '@resdet/inference';
import type { DetectRuns, RunStatus } from '@resdet/queue';
import { createProgress } from './progress';

export interface FollowRunOptions {
  /** Results file; stdout when absent. */
  out?: string;
  format: ResultsFormat;
  /** Show the progress bar (detect does; `jobs results` only on a terminal). */
  progress: boolean;
  /** Wait for the run to end (default) or stop at what is recorded now. */
  wait: boolean;
  log: (msg: string) => void;
  /** Follow without writing results anywhere (a `detect` without `--out`, like the local run). */
  discard?: boolean;
}

/**
 * Writes a queued run's results as they arrive — NDJSON lines in arrival order, or a COCO results list in
 * input order once the run ended — with the local run's progress bar and skip lines, and returns the
 * run's final status. Replays from the start, so a second reader (or a restarted submitter) gets
 * everything.
 */
export async function followRun(runs: DetectRuns, id: string, opts: FollowRunOptions): Promise<RunStatus> {
  const { ResultsWriter } = await import('@resdet/inference');
  const first = await runs.status(id);
  const writer = opts.discard ? undefined : await ResultsWriter.open(opts.out ?? '/dev/stdout', opts.format);
  const progress = opts.progress ? createProgress('detect', first.total) : undefined;
  const byFile = opts.format === 'json' && !opts.discard ? new Map<string, NdjsonImageRecord>() : undefined;
  let done = 0;
  let skipped = 0;
  let detections = 0;
  let warned = false;
  try {
    const events = runs.follow(id, {
      wait: opts.wait,
      onIdle: (workers) => {
        if (workers === 0 && !warned) {
          warned = true;
          opts.log(
            `detect: waiting — no worker is connected to the queue (start one: resdet worker --queue …)`,
          );
        }
      },
    });
    for await (const e of events) {
      if (e.kind === 'result') {
        done++;
        detections += e.record.detections.length;
        if (byFile) byFile.set(e.file, e.record);
        else await writer?.writeRecord(e.record);
      } else if (e.kind === 'skip') {
        done++;
        skipped++;
        opts.log(`skip ${e.file}: ${e.reason}`);
      } else if (e.kind === 'chunk' && e.error) {
        opts.log(`detect: task ${e.chunk} failed after its retries: ${e.error}`);
      }
      progress?.update(done, { detections, skipped });
    }
    if (byFile) {
      for (const name of await runs.store.order(id)) {
        const rec = byFile.get(name);
        if (rec) await writer?.writeRecord(rec);
      }
    }
  } finally {
    progress?.stop();
    await writer?.close();
  }
  return runs.status(id);
}

/**
 * The local run's summary line for a queued run, plus its failed tasks; sets the exit code the local run
 * would (3 for `--strict` with skipped inputs) and 1 when tasks failed or the run was cancelled.
 */
export function reportRun(
  s: RunStatus,
  opts: { out?: string; strict?: boolean; log: (msg: string) => void },
): void {
  const rate = s.processed / Math.max(s.seconds, 1e-9);
  opts.log(
    `detect: ${s.processed} processed, ${s.skipped} skipped, ${s.detections} detections, ` +
      `${s.seconds.toFixed(1)} s (${rate.toFixed(2)} img/s)` +
      (s.chunksFailed > 0
        ? `, ${s.chunksFailed} task(s) failed (${s.failedImages} images without results)`
        : '') +
      (opts.out ? ` → ${opts.out}` : '') +
      ` [run ${s.id}]`,
  );
  for (const e of s.errors) {
    const images = e.files.length ? ` (${e.files.length} images without results, e.g. ${e.files[0]})` : '';
    opts.log(`failed: task ${e.chunk}${images}: ${e.error}`);
  }
  if (s.state === 'cancelled') {
    opts.log(`detect: run ${s.id} was cancelled`);
    process.exitCode = 1;
  } else if (s.chunksFailed > 0) {
    process.exitCode = 1;
  } else if (opts.strict && s.skipped > 0) {
    process.exitCode = 3;
    opts.log(
      `--strict: ${s.skipped} input(s) could not be processed: ${s.skips
        .slice(0, 5)
        .map((x) => x.file)
        .join(', ')}`,
    );
  }
}
