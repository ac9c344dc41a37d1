import { SingleBar, Presets } from 'cli-progress';

export interface ProgressReporter {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * Progress on stderr: a cli-progress bar with rate and ETA on a terminal, and a plain line every
 * `intervalMs` otherwise (logs, CI), so piped output stays readable. With `--log-format json`
 * (RESDET_LOG_FORMAT=json) there is no bar: each progress line is a pino-shaped JSON record, so stderr
 * stays one JSON object per line.
 */
export function createProgress(
  label: string,
  total: number,
  opts: { unit?: string; intervalMs?: number; stream?: NodeJS.WriteStream } = {},
): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const unit = opts.unit ?? 'img';
  const started = Date.now();
  const rate = (done: number) => done / Math.max(1e-3, (Date.now() - started) / 1000);
  const fmtExtra = (extra?: Record<string, string | number>) =>
    extra
      ? Object.entries(extra)
          .map(([k, v]) => `${k} ${v}`)
          .join(' | ')
      : '';

  const json = process.env.RESDET_LOG_FORMAT === 'json';
  if (stream.isTTY && !json) {
    const bar = new SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | {rate} ${unit}/s | ETA {eta_formatted} | {extra}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', extra: '' });
    return {
      update: (done, extra) => bar.update(done, { rate: rate(done).toFixed(1), extra: fmtExtra(extra) }),
      stop: () => bar.stop(),
    };
  }
  const interval = opts.intervalMs ?? 10_000;
  let last = 0;
  let lastDone = -1;
  const line = (done: number, extra?: Record<string, string | number>) => {
    const r = rate(done);
    const eta = r > 0 && total > done ? Math.round((total - done) / r) : 0;
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
    if (json) {
      const record = {
        level: 30,
        time: Date.now(),
        msg: 'progress',
        label,
        done,
        total,
        rate: +r.toFixed(2),
        eta,
      };
      stream.write(JSON.stringify({ ...record, ...extra }) + '\n');
      lastDone = done;
      return;
    }
    const tail = fmtExtra(extra);
    stream.write(
      `${label}: ${done}/${total} (${pct}%) ${r.toFixed(1)} ${unit}/s ETA ${eta}s${tail ? ' | ' + tail : ''}\n`,
    );
    lastDone = done;
  };
  return {
    update(done, extra) {
      const now = Date.now();
      if (now - last >= interval || done === total) {
        last = now;
        if (done !== lastDone) line(done, extra);
      }
    },
    stop() {},
  };
}
