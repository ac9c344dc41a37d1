import { BullModule } from '@nestjs/bullmq';
import { DETECT_QUEUE, parseQueueUrl, redisOptions } from '@resdet/queue';

/**
 * Imports the job endpoints need: with a queue URL, the BullMQ queue through @nestjs/bullmq (failing fast
 * while Redis is down, so requests get a 503 instead of waiting); without one, nothing (the endpoints then
 * answer 503).
 */
export function jobsImports(queueUrl: string | undefined) {
  if (!queueUrl) return [];
  return [
    BullModule.forRoot({
      connection: redisOptions(parseQueueUrl(queueUrl), {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
      }),
    }),
    BullModule.registerQueue({ name: DETECT_QUEUE }),
  ];
}
