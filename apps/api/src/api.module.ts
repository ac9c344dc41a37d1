import { DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { ImageDetector, ModelSource } from '@resdet/inference';
import { ApiSettings } from './config/api-settings';
import { API_SETTINGS, DETECTOR, JOBS_MODEL } from './tokens';
import { DetectController } from './detect/detect.controller';
import { DetectService } from './detect/detect.service';
import { HealthController } from './health/health.controller';
import { ModelHealthIndicator } from './health/model.health';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsInterceptor } from './metrics/metrics.interceptor';
import { MetricsService } from './metrics/metrics.service';
import { ApiKeyGuard } from './common/api-key.guard';
import { JobsController } from './jobs/jobs.controller';
import { jobsImports } from './jobs/jobs.module';
import { JobsService } from './jobs/jobs.service';
import { RedisHealthIndicator } from './health/redis.health';

export interface ApiModuleOptions {
  /** A loaded (and warmed-up) detector; the app owns it from here and disposes it on shutdown. */
  detector: ImageDetector;
  settings: ApiSettings;
  /** Where the served model came from: batch jobs without a `model` use it (workers load it themselves). */
  model?: ModelSource;
  /** pino level for request logs (default 'info'; tests use 'silent'). */
  logLevel?: string;
}

/** The REST app: POST /v1/detect, /v1/jobs (queued batches), GET /health, GET /metrics, OpenAPI at /docs. */
@Module({})
export class ApiModule {
  static forRoot(opts: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        TerminusModule,
        MulterModule.register({ limits: { fileSize: opts.settings.maxUploadBytes, files: 1, fields: 16 } }),
        LoggerModule.forRoot({
          pinoHttp: {
            level: opts.logLevel ?? 'info',
            autoLogging: { ignore: (req) => req.url === '/metrics' || req.url === '/health' },
            redact: ['req.headers["x-api-key"]', 'req.headers.authorization'],
          },
        }),
        ...jobsImports(opts.settings.queueUrl),
      ],
      controllers: [DetectController, JobsController, HealthController, MetricsController],
      providers: [
        { provide: DETECTOR, useValue: opts.detector },
        { provide: API_SETTINGS, useValue: opts.settings },
        DetectService,
        MetricsService,
        ModelHealthIndicator,
        { provide: JOBS_MODEL, useValue: opts.model },
        JobsService,
        RedisHealthIndicator,
        ApiKeyGuard,
        { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
      ],
    };
  }
}
