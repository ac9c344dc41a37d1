import { abortOnSignals } from './abort-on-signals';

describe('abortOnSignals', () => {
  it('aborts on the first signal and then removes its listeners', () => {
    const before = process.listenerCount('SIGTERM');
    const seen: string[] = [];
    const stop = abortOnSignals(['SIGTERM', 'SIGUSR2'], (s) => seen.push(s));
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(stop.signal.aborted).toBe(false);
    process.emit('SIGTERM', 'SIGTERM');
    expect(stop.signal.aborted).toBe(true);
    expect(seen).toEqual(['SIGTERM']);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });

  it('dispose() removes the listeners without aborting', () => {
    const before = process.listenerCount('SIGINT');
    const stop = abortOnSignals(['SIGINT']);
    stop.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(stop.signal.aborted).toBe(false);
  });
});
