/** What {@link abortOnSignals} returns. */
export interface SignalAbort {
  /** Aborted on the first signal; pass it as `TrainerOptions.signal`. */
  signal: AbortSignal;
  /** Removes the listeners (call when training ends). */
  dispose(): void;
}

/**
 * Graceful stop for the `train` command: the first SIGINT/SIGTERM aborts the returned signal (the
 * trainer finishes its step, writes a checkpoint and returns); the listeners are then removed, so a
 * second Ctrl-C terminates the process the default way.
 *
 * @example
 * const stop = abortOnSignals(['SIGINT', 'SIGTERM'], (s) => log.warn(`${s}: checkpointing, Ctrl-C again to quit now`));
 * try { await new Trainer({ ..., signal: stop.signal }).run(); } finally { stop.dispose(); }
 */
export function abortOnSignals(
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
  onSignal?: (signal: NodeJS.Signals) => void,
): SignalAbort {
  const ac = new AbortController();
  const dispose = () => signals.forEach((s) => process.removeListener(s, handler));
  function handler(s: NodeJS.Signals): void {
    dispose();
    onSignal?.(s);
    ac.abort(new Error(`stopped by ${s}`));
  }
  signals.forEach((s) => process.on(s, handler));
  return { signal: ac.signal, dispose };
}
