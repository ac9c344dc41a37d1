import { settleBatch, type Settled } from '@resdet/data';
import { isWorkerCrash } from './worker-crash-error';

/** A batch's per-item outcomes, or the crash that ended its worker pool. */
export type SettledBatch<R> = { results: Settled<R>[] } | { fatal: unknown };

/**
 * `settleBatch` for a batch that may wait in a queue while others are awaited: it never rejects (an
 * unawaited rejection would end the process before the loop reaches it); a worker crash comes back as `fatal`
 * for the loop to throw.
 */
export function settleBatchSafely<T, R>(
  items: readonly T[],
  fn: (batch: readonly T[]) => Promise<readonly R[]>,
): Promise<SettledBatch<R>> {
  return settleBatch(items, fn, { rethrow: isWorkerCrash }).then(
    (results) => ({ results }),
    (fatal: unknown) => ({ fatal }),
  );
}
