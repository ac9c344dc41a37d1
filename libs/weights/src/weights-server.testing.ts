import * as crypto from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

/** How the test server misbehaves for one file. */
export interface ServedFile {
  bytes: Buffer;
  /** First full (non-Range) response: send the headers and this many bytes, then drop the connection. */
  cutAfter?: number;
  /** Send this many bytes, then go silent (never finish the response). */
  stallAfter?: number;
}

export interface WeightsServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Every request as `path` and its Range header (or undefined). */
  requests: { path: string; range?: string }[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server for download tests: serves `files` by path with Range support (206 +
 * Content-Range), 404 for anything else, and the misbehaviours of {@link ServedFile}.
 */
export async function startWeightsServer(files: Record<string, ServedFile>): Promise<WeightsServer> {
  const requests: WeightsServer['requests'] = [];
  const cutDone = new Set<string>();
  const server = http.createServer((req, res) => {
    const urlPath = req.url ?? '/';
    const range = req.headers.range;
    requests.push({ path: urlPath, range });
    const f = files[urlPath];
    if (!f) {
      res.writeHead(404).end('not found');
      return;
    }
    if (f.stallAfter !== undefined) {
      res.writeHead(200, { 'content-length': f.bytes.length });
      res.write(f.bytes.subarray(0, f.stallAfter));
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    if (m) {
      const start = Number(m[1]);
      if (start >= f.bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${f.bytes.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-length': f.bytes.length - start,
        'content-range': `bytes ${start}-${f.bytes.length - 1}/${f.bytes.length}`,
      });
      res.end(f.bytes.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': f.bytes.length, 'accept-ranges': 'bytes' });
    if (f.cutAfter !== undefined && !cutDone.has(urlPath)) {
      cutDone.add(urlPath);
      res.write(f.bytes.subarray(0, f.cutAfter), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(f.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A small stand-in checkpoint (seeded bytes) and its torchvision-style published name, `<stem>-<8 hex of its
 * sha256>.pth`, so the prefix check applies to it as to the real files.
 */
export function generatedCheckpoint(
  stem: string,
  size = 96 * 1024,
  seed = 1,
): { file: string; bytes: Buffer; sha256: string } {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  return { file: `${stem}-${sha256.slice(0, 8)}.pth`, bytes, sha256 };
}
