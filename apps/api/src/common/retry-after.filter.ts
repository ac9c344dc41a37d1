import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { Response } from 'express';

/** Every 503 (queue full, timeout, shutting down) tells the client when to come back. */
@Catch(ServiceUnavailableException)
export class RetryAfterFilter implements ExceptionFilter {
  constructor(private readonly retryAfterSeconds = 1) {}

  catch(e: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.setHeader('Retry-After', String(this.retryAfterSeconds));
    res.status(e.getStatus()).json(e.getResponse());
  }
}
