import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/**
 * Server settings, from flags (the `serve` command) or the environment (`RESDET_*`), validated once at
 * start-up so the server never boots half-configured. Model choice lives in the model flags/configs.
 */
export class ApiSettings {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 3000;

  /** Upload limit in bytes (multipart file or raw body); larger → 413. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  maxUploadBytes = 20 * 1024 * 1024;

  /** Decoded pixel limit (width × height); larger → 422. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  maxPixels = 40_000_000;

  /** Most images in one forward pass. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  maxBatchSize = 4;

  /** Longest a request waits for others to share its batch. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  maxBatchWaitMs = 10;

  /**
   * Model copies in worker threads, each batch going to a free one (1: the model runs in the server's own
   * thread). Unset: one per core when the model runs on tfjs on a CPU backend, as `detect` (bench/api-load.ts
   * measured 2 workers ×1.45 the requests/s of 1 on 2 idle cores, bench/RESULTS.md).
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  workers?: number;

  /** Requests allowed to wait; beyond → 503 with Retry-After. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  maxQueue = 64;

  /** Per-request limit on waiting + inference; beyond → 503. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  requestTimeoutMs = 60_000;

  /** When set, every /v1 request needs `x-api-key: <apiKey>`. */
  @IsOptional()
  @IsString()
  @MinLength(8)
  apiKey?: string;

  /** The job queue, redis://HOST:PORT[/DB]; without it the /v1/jobs endpoints answer 503. */
  @IsOptional()
  @Matches(/^redis:\/\//, { message: 'queueUrl must look like redis://HOST:PORT[/DB]' })
  queueUrl?: string;

  /** Folder job inputs and models are confined to (shared storage the workers see at the same path). */
  @IsOptional()
  @IsString()
  dataRoot?: string;
}

export class ApiSettingsError extends Error {
  override name = 'ApiSettingsError';
}

/** Environment variable for each setting. */
export const SETTINGS_ENV: Record<keyof ApiSettings, string> = {
  port: 'RESDET_PORT',
  maxUploadBytes: 'RESDET_MAX_UPLOAD_BYTES',
  maxPixels: 'RESDET_MAX_PIXELS',
  maxBatchSize: 'RESDET_MAX_BATCH',
  maxBatchWaitMs: 'RESDET_MAX_BATCH_WAIT_MS',
  workers: 'RESDET_WORKERS',
  maxQueue: 'RESDET_MAX_QUEUE',
  requestTimeoutMs: 'RESDET_REQUEST_TIMEOUT_MS',
  apiKey: 'RESDET_API_KEY',
  queueUrl: 'RESDET_QUEUE',
  dataRoot: 'RESDET_DATA_ROOT',
};

/** Settings from the environment, overridden by explicit values (flags); throws naming every bad field. */
export function resolveApiSettings(
  overrides: Partial<Record<keyof ApiSettings, unknown>> = {},
  env: NodeJS.ProcessEnv = {},
): ApiSettings {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(SETTINGS_ENV)) {
    if (env[name] !== undefined) raw[key] = env[name];
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) raw[key] = value;
  const settings = plainToInstance(ApiSettings, raw);
  const errors = validateSync(settings, { forbidUnknownValues: true });
  if (errors.length) {
    const lines = errors.map((e) => {
      const env = SETTINGS_ENV[e.property as keyof ApiSettings];
      return `${e.property} (${env}) = ${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    });
    throw new ApiSettingsError(`invalid server settings:\n  ${lines.join('\n  ')}`);
  }
  return settings;
}
