import * as fs from 'fs';
import * as path from 'path';
import { hashMatches, sha256File, type ExpectedHash } from './verify';
import { WeightsError } from './weights-error';

/** Bytes so far and the full size when the server said it. */
export type DownloadProgress = (received: number, total: number | undefined) => void;

export interface DownloadOptions {
  /** What the file's SHA-256 must be; the file is never renamed into place without a match. */
  expected: ExpectedHash;
  /** Give up when no byte arrives for this long, headers included (default 30 s). */
  idleTimeoutMs?: number;
  /** Resumes within this call after a connection that broke mid-file (default 2). */
  retries?: number;
  onProgress?: DownloadProgress;
  log?: (message: string) => void;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Where the bytes of `dest` collect until they are verified; a later call resumes from it. */
export const partialPath = (dest: string): string => `${dest}.part`;

/**
 * Downloads `url` to `dest`: bytes go to `dest.part` (resumed with an HTTP Range request when a previous
 * try left one), the SHA-256 is checked, and only then is the file renamed into place, so `dest` is either
 * absent or complete and verified. A mismatch deletes the partial file and throws. A connection cut
 * mid-file is resumed up to `retries` times; a server silent for `idleTimeoutMs` is an error.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<void> {
  const part = partialPath(dest);
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    const before = fileSize(part);
    try {
      await fetchInto(url, part, opts);
      break;
    } catch (e) {
      const cut = e instanceof CutConnection;
      const progressed = fileSize(part) > before;
      if (!(cut || e instanceof IdleTimeout) || !progressed || attempt >= retries) {
        throw e instanceof CutConnection || e instanceof IdleTimeout ? new WeightsError(e.message) : e;
      }
      opts.log?.(`${e.message}; resuming at ${fileSize(part)} bytes`);
    }
  }
  const digest = await sha256File(part);
  if (!hashMatches(digest, opts.expected)) {
    await fs.promises.rm(part, { force: true });
    const want = opts.expected.sha256 ?? `${opts.expected.prefix}…`;
    throw new WeightsError(
      `${url}: sha256 is ${digest}, expected ${want}; the download was deleted ` +
        '(a proxy or mirror serving another file? try again, or check RESDET_WEIGHTS_MIRROR)',
    );
  }
  await fs.promises.rename(part, dest);
}

class CutConnection extends Error {}
class IdleTimeout extends Error {}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** One request: appends to `part` from its current size (Range), or rewrites it when the server sends all. */
async function fetchInto(url: string, part: string, opts: DownloadOptions): Promise<void> {
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const have = fileSize(part);
  const ctrl = new AbortController();
  let idle = false;
  let timer = setTimeout(() => ((idle = true), ctrl.abort()), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ((idle = true), ctrl.abort()), idleMs);
  };
  const timeout = () =>
    new IdleTimeout(`${url}: no data for ${(idleMs / 1000).toFixed(1)} s (server too slow?)`);
  let out: fs.promises.FileHandle | undefined;
  try {
    let res: Response;
    try {
      res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: ctrl.signal });
    } catch (e) {
      if (idle) throw timeout();
      throw new WeightsError(`${url}: ${describeFetchError(e)}`);
    }
    touch();
    // 416: the partial file already holds every byte; the hash check decides.
    if (res.status === 416 && have > 0) return;
    if (!res.ok) {
      throw new WeightsError(
        `${url}: HTTP ${res.status} ${res.statusText}` +
          (res.status === 404 ? ' (not on this server; a mirror without this file?)' : ''),
      );
    }
    const range = res.status === 206 ? parseContentRange(res.headers.get('content-range')) : undefined;
    if (res.status === 206 && range?.start !== have) {
      // A range we did not ask for: start the file over rather than splice it in.
      await res.body?.cancel();
      await fs.promises.rm(part, { force: true });
      if (have === 0)
        throw new WeightsError(`${url}: unexpected partial response (${res.headers.get('content-range')})`);
      return fetchInto(url, part, opts);
    }
    const resumed = range !== undefined;
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = resumed ? range.total : Number.isFinite(length) ? length : undefined;
    let received = resumed ? have : 0;
    out = await fs.promises.open(part, resumed ? 'a' : 'w');
    opts.onProgress?.(received, total);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        await out.write(chunk);
        received += chunk.length;
        opts.onProgress?.(received, total);
      }
    } catch (e) {
      if (idle) throw timeout();
      throw new CutConnection(`${url}: connection lost after ${received} bytes (${describeFetchError(e)})`);
    }
    if (total !== undefined && received < total) {
      throw new CutConnection(`${url}: connection closed after ${received} of ${total} bytes`);
    }
    await out.sync();
  } finally {
    clearTimeout(timer);
    await out?.close();
  }
}

function parseContentRange(h: string | null): { start: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(h ?? '');
  return m ? { start: Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) } : undefined;
}

/** undici reports network failures as `TypeError: fetch failed` with the real reason in `cause`. */
function describeFetchError(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err.cause;
  return cause ? `${cause.code ?? cause.message}${cause.code ? ` (${cause.message})` : ''}` : err.message;
}
