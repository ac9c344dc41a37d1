import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';
import { MetricsService } from './metrics.service';

/** Counts every handled request by route and final status, and observes its latency. */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
    const stop = this.metrics.latency.startTimer({ route });
    const done = (status: number) => {
      stop();
      this.metrics.requests.inc({ route, status: String(status) });
    };
    return next.handle().pipe(
      tap({
        next: () => done(res.statusCode),
        error: (e: unknown) => done(e instanceof HttpException ? e.getStatus() : 500),
      }),
    );
  }
}
