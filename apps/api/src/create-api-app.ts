import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ApiModule, ApiModuleOptions } from './api.module';
import { RetryAfterFilter } from './common/retry-after.filter';
import { servePage } from './page/page';

/**
 * Builds the REST app around an already-loaded detector (one model load, done by the caller): body limits,
 * the 503 Retry-After filter, the page at /, OpenAPI at /docs, shutdown hooks that drain in-flight requests and dispose
 * the model. Call `listen(port)` on the result.
 */
export async function createApiApp(opts: ApiModuleOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(opts), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // Raw image bodies (Content-Type image/*); multipart is handled by multer with the same size limit.
  app.useBodyParser('raw', { type: 'image/*', limit: opts.settings.maxUploadBytes });
  app.useBodyParser('json', { limit: '64kb' });
  app.useBodyParser('urlencoded', { limit: '64kb', extended: false });
  app.useGlobalFilters(new RetryAfterFilter());
  app.enableShutdownHooks();
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  servePage(app);

  const doc = new DocumentBuilder()
    .setTitle('resdet')
    .setDescription('Faster R-CNN object detection: POST an image, get boxes in original pixels.')
    .setVersion('1')
    .addApiKey({ type: 'apiKey', name: 'x-api-key', in: 'header' }, 'x-api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs-json',
  });
  // A forward pass blocks the event loop for seconds on CPU backends; when it ends, Node's 5 s keep-alive
  // timer fires on idle sockets just as clients reuse them, and those requests die with ECONNRESET (the API
  // soak bench saw 4–8% of requests dropped). Keep idle connections longer than any pass takes.
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return app;
}
