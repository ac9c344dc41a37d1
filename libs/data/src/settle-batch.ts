/** One item's outcome from {@link settleBatch}: its value, or why it failed. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: string };

/** The message of anything thrown (Error message, else its string form). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `fn` on the whole batch; when that throws and the batch has more than one item, runs `fn` on each
 * item alone, so one bad item (a shape a kernel rejects, an out-of-memory image) costs only itself, never
 * its batch-mates. Results keep the input order; `fn` must return one result per item it was given.
 *
 * @example
 * const out = await settleBatch(images, (b) => detector.predict(b));
 * out.map((r) => (r.ok ? r.value.length : r.error)); // [3, 'image 1: …', 0]
 */
export async function settleBatch<T, R>(
  items: readonly T[],
  fn: (batch: readonly T[]) => Promise<readonly R[]>,
  opts: SettleOptions = {},
): Promise<Settled<R>[]> {
  if (items.length === 0) return [];
  try {
    return checkedLength(await fn(items), items.length).map((value) => ({ ok: true, value }));
  } catch (e) {
    if (opts.rethrow?.(e)) throw e;
    if (items.length === 1) return [{ ok: false, error: errorMessage(e) }];
  }
  const out: Settled<R>[] = [];
  for (const item of items) out.push(...(await settleBatch([item], fn, opts)));
  return out;
}

export interface SettleOptions {
  /** Errors that are no item's fault (a crashed worker): thrown as they are, never settled or retried. */
  rethrow?: (e: unknown) => boolean;
}

function checkedLength<R>(results: readonly R[], n: number): readonly R[] {
  if (results.length !== n) throw new Error(`settleBatch: ${results.length} results for ${n} items`);
  return results;
}
