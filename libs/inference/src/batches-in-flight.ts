import type { ImageDetector } from './detection-types';

/**
 * How many batches a job loop keeps submitted to a detector before it waits for the oldest (results go out in
 * input order). One for a model in this thread. A pool of N workers gets 2N: one running on each worker and
 * one queued behind it, so a worker that finishes before the oldest batch does starts its next at once
 * instead of idling until the in-order writer catches up.
 */
export function batchesInFlight(detector: Pick<ImageDetector, 'concurrency'>): number {
  const workers = Math.max(1, detector.concurrency ?? 1);
  return workers > 1 ? workers * 2 : 1;
}
