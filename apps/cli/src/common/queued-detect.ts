import * as path from 'node:path';
import type { ModelSource, ResultsFormat } from '@resdet/inference';
import type { TaskItem } from '@resdet/queue';
import { followRun, reportRun } from './follow-run';
import { resolvedDetectorOptions, type ModelFlags } from './model-options';

/** `detect`'s flags; a queued run reads the same ones (see {@link runQueuedDetect}). */
export interface DetectFlags extends ModelFlags {
  out?: string;
  format: ResultsFormat;
  resume?: boolean;
  cocoGt?: string;
  saveImages?: string;
  batchSize?: number;
  workers?: number;
  strict?: boolean;
  queue?: string;
  chunkSize?: number;
  attempts?: number;
  detach?: boolean;
}

/**
 * `detect … --queue redis://…`: enqueues the inputs as one run (tasks of `--chunk-size` images, paths
 * made absolute: workers read them from shared storage), then follows it like a local run — same
 * progress, skip lines, results and summary — unless `--detach`, which prints the run id and returns.
 * Killing this process leaves the run going; `jobs results ID` picks it up from any machine.
 */
export async function runQueuedDetect(
  inputs: string[],
  flags: DetectFlags & { queue: string },
): Promise<void> {
  const log = (m: string) => process.stderr.write(m + '\n');
  const { listImageFiles, readCocoImageIds } = await import('@resdet/inference');
  const { DetectRuns, describeModel, parseQueueUrl } = await import('@resdet/queue');
  if (flags.resume) {
    throw new Error('--resume is for local runs; a queued run keeps its own state (resdet jobs results ID)');
  }
  const url = parseQueueUrl(flags.queue);
  const items = await listImageFiles(inputs, { onMissing: (i, why) => log(`skip ${i}: ${why}`) });
  const ids = flags.cocoGt ? await readCocoImageIds(flags.cocoGt) : undefined;
  const tasks: TaskItem[] = items.map((i) => {
    const imageId = ids?.get(i.relative) ?? ids?.get(path.posix.basename(i.relative));
    return imageId === undefined ? i : { ...i, imageId };
  });
  // The model as workers load it; engine and backend are each worker's own choice (worker flags).
  // A registry name is resolved here: workers get the cached file's path (shared storage, as for inputs).
  const {
    backend: _backend,
    log: _log,
    engine: _engine,
    env: _env,
    ...source
  } = await resolvedDetectorOptions(flags);
  const model = await describeModel(source as ModelSource);
  const runs = DetectRuns.connect(url);
  try {
    const id = await runs.submit({
      items: tasks,
      model,
      chunkSize: flags.chunkSize,
      batchSize: flags.batchSize,
      attempts: flags.attempts,
      saveImagesDir: flags.saveImages ? path.resolve(flags.saveImages) : undefined,
    });
    const chunks = Math.ceil(tasks.length / (flags.chunkSize ?? 16));
    log(`detect: run ${id}: ${tasks.length} images in ${chunks} task(s) on ${url.display}`);
    if (flags.detach) {
      process.stdout.write(`${id}\n`);
      log(`detect: detached; follow it with: resdet jobs results ${id} --queue ${url.display}`);
      return;
    }
    const onSignal = () => {
      log(
        `\ndetect: run ${id} goes on in the workers; its results: resdet jobs results ${id} --queue ${url.display}`,
      );
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    try {
      const status = await followRun(runs, id, {
        out: flags.out,
        format: flags.format,
        progress: true,
        wait: true,
        log,
        discard: !flags.out,
      });
      if (!flags.out) process.stdout.write(`${status.detections} detections (use --out to save them)\n`);
      reportRun(status, { out: flags.out, strict: flags.strict, log });
    } finally {
      process.removeListener('SIGINT', onSignal);
    }
  } finally {
    await runs.close();
  }
}
