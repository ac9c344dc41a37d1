import { Command, Option } from 'nest-commander';
import {
  listImageFiles,
  readCocoImageIds,
  readCompletedImages,
  ResultsWriter,
  runDetectJob,
  type ResultsFormat,
} from '@resdet/inference';
import { readImage } from '@resdet/data';
import { createProgress } from '../common/progress';
import {
  BatchedModelCommand,
  openDetectorFromFlags,
  parseResultsFormat,
  positiveInt,
} from '../common/model-options';
import { runQueuedDetect, type DetectFlags } from '../common/queued-detect';

/**
 * `detect [model flags] [--out results.json] [--save-images DIR] INPUT…`: a detector over files and
 * folders (recursive, images recognised by content). Results are COCO results JSON (or NDJSON, one line
 * per image, resumable); unreadable files are reported and skipped; a summary ends the run.
 */
@Command({
  name: 'detect',
  arguments: '<inputs...>',
  description: 'Detect objects in image files and folders (recursive); COCO results JSON or NDJSON',
})
export class DetectCommand extends BatchedModelCommand {
  async run(inputs: string[], flags: DetectFlags): Promise<void> {
    if (flags.queue) return runQueuedDetect(inputs, { ...flags, queue: flags.queue });
    if (flags.detach || flags.chunkSize) throw new Error('--detach and --chunk-size need --queue redis://…');
    if (flags.resume && (flags.format !== 'ndjson' || !flags.out)) {
      throw new Error('--resume needs --format ndjson and --out FILE (it skips images already in that file)');
    }
    const log = (m: string) => process.stderr.write(m + '\n');
    let items = await listImageFiles(inputs, { onMissing: (i, why) => log(`skip ${i}: ${why}`) });
    if (flags.resume) {
      const done = await readCompletedImages(flags.out!);
      const before = items.length;
      items = items.filter((i) => !done.has(i.relative));
      log(`resume: ${before - items.length} images already in ${flags.out}, ${items.length} to go`);
    }
    const imageIds = flags.cocoGt ? await readCocoImageIds(flags.cocoGt) : undefined;
    const detector = await openDetectorFromFlags(flags, { workers: flags.workers, images: items.length });
    const writer = flags.out
      ? await ResultsWriter.open(flags.out, flags.format, { append: flags.resume })
      : undefined;
    const progress = createProgress('detect', items.length);
    const skipped: string[] = [];
    try {
      const summary = await runDetectJob(detector, items, {
        batchSize: flags.batchSize ?? 1,
        decode: (file) => readImage(file),
        writer,
        saveImagesDir: flags.saveImages,
        imageIds,
        onSkip: (item, reason) => {
          skipped.push(item.relative);
          log(`skip ${item.relative}: ${reason}`);
        },
        onProgress: (p) => progress.update(p.done, { detections: p.detections, skipped: p.skipped }),
      });
      progress.stop();
      await writer?.close();
      if (!writer) process.stdout.write(`${summary.detections} detections (use --out to save them)\n`);
      log(
        `detect: ${summary.processed} processed, ${summary.skipped} skipped, ${summary.detections} detections, ` +
          `${summary.seconds.toFixed(1)} s (${(summary.processed / Math.max(summary.seconds, 1e-9)).toFixed(2)} img/s)` +
          (flags.out ? ` → ${flags.out}` : '') +
          (flags.saveImages ? `, drawings in ${flags.saveImages}` : ''),
      );
      if (flags.strict && summary.skipped > 0) {
        process.exitCode = 3;
        log(
          `--strict: ${summary.skipped} input(s) could not be processed: ${skipped.slice(0, 5).join(', ')}`,
        );
      }
    } finally {
      progress.stop();
      detector.dispose();
    }
  }

  @Option({
    flags: '--out <file>',
    description: 'write results here (COCO results JSON, or NDJSON with --format)',
  })
  parseOut(v: string): string {
    return v;
  }

  @Option({
    flags: '--format <fmt>',
    description: 'json (COCO results list) or ndjson (one line per image)',
    defaultValue: 'json',
  })
  parseFormat(v: string): ResultsFormat {
    return parseResultsFormat(v);
  }

  @Option({ flags: '--resume', description: 'skip images already in the NDJSON --out file' })
  parseResume(): boolean {
    return true;
  }

  @Option({ flags: '--coco-gt <file>', description: 'COCO ground truth: adds image_id by file_name' })
  parseCocoGt(v: string): string {
    return v;
  }

  @Option({
    flags: '--save-images <dir>',
    description: 'draw boxes, labels and scores; mirrors the input tree',
  })
  parseSaveImages(v: string): string {
    return v;
  }

  @Option({ flags: '--strict', description: 'exit non-zero when any input was skipped' })
  parseStrict(): boolean {
    return true;
  }

  @Option({
    flags: '--queue <url>',
    description: 'run on queue workers: redis://HOST:PORT[/DB] (inputs and model on shared storage)',
  })
  parseQueue(v: string): string {
    return v;
  }

  @Option({ flags: '--chunk-size <n>', description: 'images per queued task (default 16)' })
  parseChunkSize(v: string): number {
    return positiveInt('--chunk-size')(v);
  }

  @Option({
    flags: '--attempts <n>',
    description: 'tries per queued task before it is reported failed (default 3)',
  })
  parseAttempts(v: string): number {
    return positiveInt('--attempts')(v);
  }

  @Option({
    flags: '--detach',
    description: 'with --queue: print the run id and return (see: jobs results ID)',
  })
  parseDetach(): boolean {
    return true;
  }
}
