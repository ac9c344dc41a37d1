/** Where the queue lives: a parsed `redis://[user:password@]HOST:PORT[/DB]`. */
export interface QueueUrl {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL without its password, for logs and messages. */
  display: string;
}

export class QueueUrlError extends Error {
  override name = 'QueueUrlError';
}

/**
 * Parses `redis://HOST:PORT[/DB]` (port 6379 when omitted, db 0). Anything else is refused with a message
 * that shows the expected form, so a typo fails at start-up instead of as a connection timeout.
 */
export function parseQueueUrl(url: string): QueueUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError(`--queue must look like redis://HOST:PORT[/DB], got "${url}"`);
  }
  if (u.protocol !== 'redis:' || !u.hostname) {
    throw new QueueUrlError(`--queue must look like redis://HOST:PORT[/DB], got "${url}"`);
  }
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d*$/.test(dbText)) {
    throw new QueueUrlError(`${url}: the database must be a number 0–15 (redis://HOST:PORT/DB)`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    display: `redis://${u.hostname}:${port}/${db}`,
  };
}

/** Connection settings ioredis and BullMQ (`connection`) both take. */
export interface RedisConnectionSettings {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** null: commands wait out a reconnect (what BullMQ workers need); a number: fail after that many tries. */
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
}

/** Connection settings for a parsed URL. */
export function redisOptions(
  q: QueueUrl,
  extra: Pick<RedisConnectionSettings, 'maxRetriesPerRequest' | 'enableOfflineQueue'> = {},
): RedisConnectionSettings {
  return {
    host: q.host,
    port: q.port,
    db: q.db,
    username: q.username,
    password: q.password,
    ...extra,
  };
}
