import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withFileLock } from './download-lock';

describe('withFileLock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs holders one after the other and removes the lock', async () => {
    const lock = path.join(dir, 'f.lock');
    const order: string[] = [];
    const job = (name: string) =>
      withFileLock(
        lock,
        async () => {
          order.push(`${name} in`);
          await new Promise((r) => setTimeout(r, 30));
          order.push(`${name} out`);
        },
        { pollMs: 10 },
      );
    await Promise.all([job('a'), job('b')]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("takes over a dead process's lock on this host, and an unreadable one left untouched too long", async () => {
    const lock = path.join(dir, 'f.lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    fs.writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    expect(await withFileLock(lock, async () => 'ran again', { staleMs: 1000 })).toBe('ran again');
  });
});
