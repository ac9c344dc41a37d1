import { MicroBatcher, QueueFullError, BatcherClosedError } from './micro-batcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('groups concurrent submissions into one call up to maxBatchSize, keeping order', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        calls.push(xs);
        await sleep(5);
        return xs.map((x) => x * 10);
      },
      { maxBatchSize: 3, maxWaitMs: 20, maxQueue: 100 },
    );
    const out = await Promise.all([1, 2, 3, 4, 5].map((x) => b.submit(x)));
    expect(out).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('runs a lone item after maxWaitMs', async () => {
    const b = new MicroBatcher<number, number>(async (xs) => xs, {
      maxBatchSize: 8,
      maxWaitMs: 5,
      maxQueue: 8,
    });
    await expect(b.submit(7)).resolves.toBe(7);
  });

  it('rejects with QueueFullError when the queue is full, and propagates batch errors', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        await gate;
        if (xs.includes(-1)) throw new Error('bad batch');
        return xs;
      },
      { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 2 },
    );
    const first = b.submit(1); // running
    await sleep(1);
    const queued = [b.submit(-1), b.submit(3)];
    await expect(b.submit(4)).rejects.toBeInstanceOf(QueueFullError);
    release();
    await expect(first).resolves.toBe(1);
    await expect(queued[0]).rejects.toThrow('bad batch');
    await expect(queued[1]).resolves.toBe(3);
  });

  it.each([1, 2, 3])('runs up to concurrency %i batches at once, never more', async (concurrency) => {
    let active = 0;
    let most = 0;
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        calls.push(xs);
        most = Math.max(most, ++active);
        await sleep(20);
        active--;
        return xs.map((x) => -x);
      },
      { maxBatchSize: 2, maxWaitMs: 5, maxQueue: 100, concurrency },
    );
    const out = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => b.submit(x)));
    expect(out).toEqual([-1, -2, -3, -4, -5, -6, -7, -8, -9]);
    expect(most).toBe(concurrency);
    expect(calls.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(calls.map((c) => c.length)).toEqual([2, 2, 2, 2, 1]);
  });

  it('with a free slot, a partial batch still waits maxWaitMs for companions', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        calls.push(xs);
        await sleep(200);
        return xs;
      },
      { maxBatchSize: 2, maxWaitMs: 30, maxQueue: 100, concurrency: 2 },
    );
    const first = [b.submit(1), b.submit(2), b.submit(3)]; // 1+2 run at once; 3 waits for a companion
    await sleep(5);
    const late = b.submit(4);
    await Promise.all([...first, late]);
    expect(calls).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('rejects a concurrency below 1', () => {
    expect(
      () =>
        new MicroBatcher(async (xs) => xs, { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 1, concurrency: 0 }),
    ).toThrow(/concurrency must be an integer ≥ 1, got 0/);
  });

  it('drain finishes queued work and then refuses new work', async () => {
    const b = new MicroBatcher<number, number>(async (xs) => xs, {
      maxBatchSize: 4,
      maxWaitMs: 50,
      maxQueue: 8,
    });
    const p = b.submit(1);
    await b.drain();
    await expect(p).resolves.toBe(1);
    await expect(b.submit(2)).rejects.toBeInstanceOf(BatcherClosedError);
  });
});
