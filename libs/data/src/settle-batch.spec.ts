import { settleBatch } from './settle-batch';

describe('settleBatch', () => {
  it('runs the whole batch once when it succeeds', async () => {
    const calls: number[][] = [];
    const out = await settleBatch([1, 2, 3], async (b) => {
      calls.push([...b]);
      return b.map((x) => x * 10);
    });
    expect(out).toEqual([10, 20, 30].map((value) => ({ ok: true, value })));
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('retries a failed batch one item at a time so only the bad item fails', async () => {
    const calls: number[][] = [];
    const out = await settleBatch([1, 2, 3], async (b) => {
      calls.push([...b]);
      if (b.includes(2)) throw new Error('bad shape');
      return b.map((x) => x * 10);
    });
    expect(out).toEqual([
      { ok: true, value: 10 },
      { ok: false, error: 'bad shape' },
      { ok: true, value: 30 },
    ]);
    expect(calls).toEqual([[1, 2, 3], [1], [2], [3]]);
    expect(await settleBatch([], async () => [])).toEqual([]);
  });

  it('treats a wrong number of results as a failure', async () => {
    expect(await settleBatch([1], async () => [])).toEqual([
      { ok: false, error: 'settleBatch: 0 results for 1 items' },
    ]);
  });

  it('throws errors that `rethrow` names at once, without retrying item by item', async () => {
    const calls: number[][] = [];
    const crash = new Error('worker crashed');
    const run = settleBatch(
      [1, 2],
      async (b) => {
        calls.push([...b]);
        throw crash;
      },
      { rethrow: (e) => e === crash },
    );
    await expect(run).rejects.toBe(crash);
    expect(calls).toEqual([[1, 2]]);
  });
});
