import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface TestRedis {
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released: good enough for a test server started right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's `redis-server` (installed by tools/ensure-system-deps.sh, which `npm test` runs first)
 * on a free loopback port with no persistence, and waits until it accepts connections. Each suite gets
 * its own, so suites never see each other's queues.
 */
export async function startRedis(): Promise<TestRedis> {
  const bin = process.env.REDIS_SERVER ?? 'redis-server';
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ready = await new Promise<boolean>((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      };
      child.stdout!.on('data', onData);
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new Error(`${bin} not found: run tools/ensure-system-deps.sh (apt-get install redis-server)`)
            : e,
        ),
      );
      child.once('exit', () => resolve(false));
      setTimeout(() => reject(new Error(`redis-server did not start in 20 s:\n${out}`)), 20_000).unref();
    });
    if (ready) return { port, url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child, dir) };
    if (attempt >= 3) throw new Error(`redis-server would not start on a free port`);
  }
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  rmSync(dir, { recursive: true, force: true });
}
