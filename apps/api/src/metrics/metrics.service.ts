import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs-core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server instance (its own registry, so tests can run several apps). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'resdet_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'resdet_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'resdet_batch_size',
    help: 'Images per forward pass',
    buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'resdet_queue_depth',
    help: 'Requests waiting for a batch',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'resdet_' });
    new Gauge({
      name: 'resdet_tf_tensors',
      help: 'Live tfjs tensors (tf.memory().numTensors)',
      registers: [this.registry],
      collect() {
        this.set(tf.memory().numTensors);
      },
    });
    new Gauge({
      name: 'resdet_tf_bytes',
      help: 'Bytes held by live tfjs tensors (tf.memory().numBytes)',
      registers: [this.registry],
      collect() {
        this.set(tf.memory().numBytes);
      },
    });
  }
}
