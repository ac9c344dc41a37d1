import {
  Inject,
  Injectable,
  OnApplicationShutdown,
  ServiceUnavailableException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  BatcherClosedError,
  filterDetections,
  isWorkerCrash,
  MicroBatcher,
  QueueFullError,
} from '@resdet/inference';
import type { ImageDetector, RawImage, Detection } from '@resdet/inference';
import { decodeImage, sniffImageType, ImageReadError, settleBatch, type Settled } from '@resdet/data';
import { API_SETTINGS, DETECTOR } from '../tokens';
import { ApiSettings } from '../config/api-settings';
import { MetricsService } from '../metrics/metrics.service';
import { DetectOptionsDto } from './dto/detect-options.dto';
import { DetectResponseDto } from './dto/detect-response.dto';

/**
 * Turns uploaded bytes into detections: sniff (not the client's mime type) → decode with a pixel limit →
 * micro-batched forward pass → filtered response. Bad input becomes a 4xx here (an image the model cannot
 * process: 422 with the reason); overload a 503, and so does a crashed model worker (no image's fault; the
 * pool does not come back, and /health says so). With workers, as many batches run at once as there are
 * workers.
 */
@Injectable()
export class DetectService implements OnApplicationShutdown {
  private readonly batcher: MicroBatcher<RawImage, Settled<Detection[]>>;

  constructor(
    @Inject(DETECTOR) private readonly detector: ImageDetector,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    private readonly metrics: MetricsService,
  ) {
    // A batch the model rejects is retried image by image, so one bad upload never fails its batch-mates;
    // a crashed worker fails the batch as it is.
    this.batcher = new MicroBatcher(
      (images) => settleBatch(images, (b) => this.detector.predict(b), { rethrow: isWorkerCrash }),
      {
        maxBatchSize: settings.maxBatchSize,
        maxWaitMs: settings.maxBatchWaitMs,
        maxQueue: settings.maxQueue,
        concurrency: detector.concurrency ?? 1,
        onBatch: (n) => this.metrics.batchSize.observe(n),
      },
    );
  }

  async detect(bytes: Buffer, opts: DetectOptionsDto): Promise<DetectResponseDto> {
    const started = performance.now();
    const image = await this.decode(bytes);
    const detections = await this.infer(image);
    return {
      width: image.width,
      height: image.height,
      detections: filterDetections(detections, opts),
      model: this.detector.info.model,
      timingMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  private async decode(bytes: Buffer): Promise<RawImage> {
    // Content decides, not the client's Content-Type.
    if (sniffImageType(bytes) === undefined) {
      throw new UnsupportedMediaTypeException('the upload is not a JPEG, PNG, WebP, TIFF or GIF image');
    }
    try {
      return await decodeImage(bytes, 'upload', { limitInputPixels: this.settings.maxPixels });
    } catch (e) {
      if (e instanceof ImageReadError) {
        if (e.reason === 'unsupported') throw new UnsupportedMediaTypeException(e.message);
        throw new UnprocessableEntityException(e.message);
      }
      throw e;
    }
  }

  private async infer(image: RawImage): Promise<Detection[]> {
    this.metrics.queueDepth.set(this.batcher.depth);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ServiceUnavailableException(`timed out after ${this.settings.requestTimeoutMs} ms`)),
        this.settings.requestTimeoutMs,
      );
    });
    try {
      const r = await Promise.race([this.batcher.submit(image), timeout]);
      if (!r.ok) throw new UnprocessableEntityException(`the model cannot process this image: ${r.error}`);
      return r.value;
    } catch (e) {
      if (e instanceof QueueFullError || e instanceof BatcherClosedError) {
        throw new ServiceUnavailableException((e as Error).message, { cause: e });
      }
      if (isWorkerCrash(e)) {
        throw new ServiceUnavailableException(`the detector is down: ${(e as Error).message}`, { cause: e });
      }
      throw e;
    } finally {
      clearTimeout(timer);
      this.metrics.queueDepth.set(this.batcher.depth);
    }
  }

  /** Graceful shutdown: answer everything already accepted, then free the model (the app owns it). */
  async onApplicationShutdown(): Promise<void> {
    await this.batcher.drain();
    // Worker threads must be gone before close() resolves, or they would keep the process alive.
    if (this.detector.release) await this.detector.release();
    else this.detector.dispose();
  }
}
