import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ImageDetector } from '@resdet/inference';
import { DETECTOR } from '../tokens';
import { serverTfMemory } from '../common/tf-memory';

/**
 * Up when the model is loaded (the app only starts after load + warm-up); reports backend and tensors, and with
 * worker threads their number and each one's tensors. Down once a worker has crashed (requests get 503).
 */
@Injectable()
export class ModelHealthIndicator {
  constructor(
    @Inject(DETECTOR) private readonly detector: ImageDetector,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'model') {
    const indicator = this.health.check(key);
    const { model, backend, classes } = this.detector.info;
    const pool = this.detector.status?.();
    const details = {
      model,
      backend,
      classes: classes.length,
      tensors: serverTfMemory().numTensors,
      workers: this.detector.concurrency ?? 1,
      ...(pool && { workersAlive: pool.workersAlive, workerTensors: pool.workerTensors }),
    };
    if (pool?.failure) return indicator.down({ loaded: false, ...details, error: pool.failure });
    return indicator.up({ loaded: true, ...details });
  }
}
