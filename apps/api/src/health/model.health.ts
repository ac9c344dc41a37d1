import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import * as tf from '@tensorflow/tfjs-core';
import type { ImageDetector } from '@resdet/inference';
import { DETECTOR } from '../tokens';

/** Up when the model is loaded (the app only starts after load + warm-up); reports backend and tensors. */
@Injectable()
export class ModelHealthIndicator {
  constructor(
    @Inject(DETECTOR) private readonly detector: ImageDetector,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'model') {
    const indicator = this.health.check(key);
    const { model, backend, classes } = this.detector.info;
    return indicator.up({
      loaded: true,
      model,
      backend,
      classes: classes.length,
      tensors: tf.memory().numTensors,
    });
  }
}
