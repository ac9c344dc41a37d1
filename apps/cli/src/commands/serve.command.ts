import { Command, Option } from 'nest-commander';
import { ModelCommand, positiveInt, resolvedDetectorOptions, type ModelFlags } from '../common/model-options';

interface ServeFlags extends ModelFlags {
  port?: number;
  apiKey?: string;
  maxBatch?: number;
  workers?: number;
  maxUploadMb?: number;
  queue?: string;
  dataRoot?: string;
}

/** `serve --port P [model flags]`: the REST detection endpoint (POST /v1/detect, /health, /metrics, /docs). */
@Command({
  name: 'serve',
  description: 'Serve the detector over HTTP: POST /v1/detect, /health, /metrics, /docs',
})
export class ServeCommand extends ModelCommand {
  async run(_args: string[], flags: ServeFlags): Promise<void> {
    const model = await resolvedDetectorOptions(flags);
    const { startApiServer } = await import('@resdet/api');
    const app = await startApiServer(model, {
      port: flags.port,
      apiKey: flags.apiKey,
      maxBatchSize: flags.maxBatch,
      workers: flags.workers,
      maxUploadBytes: flags.maxUploadMb !== undefined ? flags.maxUploadMb * 1024 * 1024 : undefined,
      queueUrl: flags.queue,
      dataRoot: flags.dataRoot,
    });
    // Nest's shutdown hooks drain in-flight requests on SIGTERM/SIGINT; keep the command alive until then.
    await new Promise<void>((resolve) => app.getHttpServer().once('close', () => resolve()));
  }

  @Option({ flags: '--port <port>', description: 'port (default 3000, or RESDET_PORT)' })
  parsePort(v: string): number {
    return positiveInt('--port')(v);
  }

  @Option({ flags: '--api-key <key>', description: 'require x-api-key (or RESDET_API_KEY); open when unset' })
  parseApiKey(v: string): string {
    return v;
  }

  @Option({
    flags: '--max-batch <n>',
    description: 'images per forward pass when requests arrive together (default 4)',
  })
  parseMaxBatch(v: string): number {
    return positiveInt('--max-batch')(v);
  }

  @Option({
    flags: '--workers <n>',
    description:
      'model copies in worker threads, batches go to a free one (default: one per core for tfjs on CPU, or RESDET_WORKERS; 1: this thread)',
  })
  parseWorkers(v: string): number {
    return positiveInt('--workers')(v);
  }

  @Option({ flags: '--max-upload-mb <n>', description: 'upload limit in MB (default 20); larger → 413' })
  parseMaxUpload(v: string): number {
    return positiveInt('--max-upload-mb')(v);
  }

  @Option({
    flags: '--queue <url>',
    description: 'enable POST /v1/jobs on this queue: redis://HOST:PORT[/DB] (or RESDET_QUEUE)',
  })
  parseQueue(v: string): string {
    return v;
  }

  @Option({
    flags: '--data-root <dir>',
    description: 'folder job inputs must lie in (or RESDET_DATA_ROOT); shared with the workers',
  })
  parseDataRoot(v: string): string {
    return v;
  }
}
