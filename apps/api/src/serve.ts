import { openDetector, type EngineName, type OpenDetectorOptions } from '@resdet/inference';
import { resolveWeights } from '@resdet/weights';
import { resolveApiSettings, type ApiSettings } from './config/api-settings';
import { createApiApp } from './create-api-app';

/**
 * Loads the model once (and warms it up), then starts the REST app on `settings.port`. Health reports
 * ready only after this resolves, because the app only exists once the model does.
 */
export async function startApiServer(
  model: OpenDetectorOptions,
  overrides: Partial<Record<keyof ApiSettings, unknown>> = {},
) {
  const settings = resolveApiSettings(overrides, process.env);
  const detector = await openDetector({
    ...model,
    engine: model.engine ?? 'auto',
    workers: settings.workers ?? 'auto',
  });
  try {
    // Batch jobs without a model use the served one; workers load it from the same (shared) paths.
    const {
      backend: _backend,
      log: _log,
      warmup: _warmup,
      engine: _engine,
      workers: _workers,
      maxWorkers: _maxWorkers,
      ...source
    } = model;
    const app = await createApiApp({ detector, settings, model: source });
    await app.listen(settings.port);
    process.stderr.write(
      `resdet: serving ${detector.info.model} (${detector.info.classes.length - 1} classes, ${detector.info.backend}) on http://localhost:${settings.port} — page http://localhost:${settings.port}/, API docs http://localhost:${settings.port}/docs, POST /v1/detect\n`,
    );
    return app;
  } catch (e) {
    await detector.release();
    throw e;
  }
}

/** `npm run start:api` without the CLI: model from RESDET_CONFIG / RESDET_ARCH / RESDET_WEIGHTS. */
export async function serveFromEnvironment(): Promise<void> {
  const env = process.env;
  const log = (m: string) => process.stderr.write(m + '\n');
  // RESDET_WEIGHTS may be a registry name (from the cache, or downloaded unless RESDET_OFFLINE=1).
  const weights =
    env.RESDET_WEIGHTS && (await resolveWeights(env.RESDET_WEIGHTS, { env, flag: 'RESDET_WEIGHTS', log }));
  await startApiServer({
    config: env.RESDET_CONFIG,
    arch: env.RESDET_ARCH,
    weights,
    env,
    engine: (env.RESDET_ENGINE as EngineName | undefined) ?? 'auto',
    log,
  });
}
