import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ImageDetector } from '@resdet/inference';
import { DETECTOR } from '../tokens';
import { serverTfMemory } from '../common/tf-memory';

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

  constructor(@Inject(DETECTOR) detector: ImageDetector) {
    collectDefaultMetrics({ register: this.registry, prefix: 'resdet_' });
    // With worker threads the model's tensors live in the workers: each reports its count after each batch.
    new Gauge({
      name: 'resdet_worker_tf_tensors',
      help: 'Live tfjs tensors in each model worker thread (as of its last batch)',
      labelNames: ['worker'] as const,
      registers: [this.registry],
      collect() {
        detector.status?.()?.workerTensors.forEach((n, i) => this.set({ worker: String(i) }, n));
      },
    });
    new Gauge({
      name: 'resdet_workers_alive',
      help: 'Model worker threads running (0 without workers)',
      registers: [this.registry],
      collect() {
        this.set(detector.status?.()?.workersAlive ?? 0);
      },
    });
    new Gauge({
      name: 'resdet_tf_tensors',
      help: 'Live tfjs tensors in the server thread (tf.memory().numTensors)',
      registers: [this.registry],
      collect() {
        this.set(serverTfMemory().numTensors);
      },
    });
    new Gauge({
      name: 'resdet_tf_bytes',
      help: 'Bytes held by live tfjs tensors in the server thread (tf.memory().numBytes)',
      registers: [this.registry],
      collect() {
        this.set(serverTfMemory().numBytes);
      },
    });
  }
}
