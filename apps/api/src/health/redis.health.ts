import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { JobsService } from '../jobs/jobs.service';

/** The job queue's Redis: `disabled` without a queue, else up/down (down makes /health a 503). */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly jobs: JobsService,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    const { status, ...details } = await this.jobs.redisHealth();
    if (status === 'down') return indicator.down(details);
    return status === 'disabled' ? indicator.up({ queue: 'disabled' }) : indicator.up(details);
  }
}
