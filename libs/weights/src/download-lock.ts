import * as fs from 'fs';
import * as os from 'os';

export interface LockOptions {
  /** A lock whose file has not been touched for this long is taken over (its holder died elsewhere). */
  staleMs?: number;
  pollMs?: number;
  /** Called once when another process holds the lock. */
  onWait?: (holder: string) => void;
}

/**
 * Runs `fn` while holding `lockFile` (created exclusively), so that processes sharing a cache (worker
 * processes, a cache on shared storage) download a file once. The holder touches the file while it works;
 * a lock left by a dead process on this host, or untouched for `staleMs`, is taken over.
 */
export async function withFileLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const staleMs = opts.staleMs ?? 60_000;
  const pollMs = opts.pollMs ?? 250;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, host: os.hostname() }), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(lockFile);
    if (isStale(lockFile, holder, staleMs)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!told && holder) {
      told = true;
      opts.onWait?.(`process ${holder.pid} on ${holder.host}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockFile, now, now, () => undefined);
  }, staleMs / 4);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    fs.rmSync(lockFile, { force: true });
  }
}

interface Holder {
  pid: number;
  host: string;
}

function readHolder(lockFile: string): Holder | undefined {
  try {
    return JSON.parse(fs.readFileSync(lockFile, 'utf8')) as Holder;
  } catch {
    // Being written or just removed: look again on the next poll.
    return undefined;
  }
}

/** A lock is stale when its holder on this host is dead, or (any host, or unreadable) it went untouched too long. */
function isStale(lockFile: string, holder: Holder | undefined, staleMs: number): boolean {
  if (holder && holder.host === os.hostname() && !isAlive(holder.pid)) return true;
  try {
    return Date.now() - fs.statSync(lockFile).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
