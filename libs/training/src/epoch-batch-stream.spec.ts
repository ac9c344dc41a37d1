import { EpochBatchStream } from './epoch-batch-stream';

/** A deterministic "loader": batch (e, s) is the string `e:s`; counts how often each epoch was opened. */
function loader(batchesPerEpoch: number) {
  const opened: number[] = [];
  async function* from(epoch: number): AsyncGenerator<string> {
    opened.push(epoch);
    for (let e = epoch; ; e++) for (let s = 0; s < batchesPerEpoch; s++) yield `${e}:${s}`;
  }
  return { opened, openEpoch: (e: number) => from(e) };
}

describe('EpochBatchStream', () => {
  it('walks epochs and reports the position of the next batch', async () => {
    const l = loader(3);
    const s = new EpochBatchStream({ openEpoch: l.openEpoch, batchesPerEpoch: 3 });
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await s.next());
    expect(got).toEqual(['0:0', '0:1', '0:2', '1:0']);
    expect(s.getState()).toEqual({ epoch: 1, step: 1 });
  });

  it('a fresh stream restored from the state continues with the same batches, releasing skipped ones', async () => {
    const straight = new EpochBatchStream({ openEpoch: loader(3).openEpoch, batchesPerEpoch: 3 });
    const seq: string[] = [];
    for (let i = 0; i < 8; i++) seq.push(await straight.next());

    const l = loader(3);
    const released: string[] = [];
    const resumed = new EpochBatchStream({
      openEpoch: l.openEpoch,
      batchesPerEpoch: 3,
      release: (b) => released.push(b),
    });
    resumed.setState(JSON.parse(JSON.stringify({ epoch: 1, step: 2 })));
    const rest: string[] = [];
    for (let i = 5; i < 8; i++) rest.push(await resumed.next());
    expect(rest).toEqual(seq.slice(5));
    expect(l.opened).toEqual([1]);
    expect(released).toEqual(['1:0', '1:1']);
  });

  it('rejects a position outside the epoch and a loader that stops', async () => {
    const s = new EpochBatchStream({ openEpoch: loader(3).openEpoch, batchesPerEpoch: 3 });
    expect(() => s.setState({ epoch: 0, step: 3 })).toThrow(/bad saved position \{"epoch":0,"step":3\}/);
    const short = new EpochBatchStream({ openEpoch: () => [][Symbol.iterator](), batchesPerEpoch: 2 });
    await expect(short.next()).rejects.toThrow(/loader ended inside epoch 0/);
    expect(() => new EpochBatchStream({ openEpoch: loader(1).openEpoch, batchesPerEpoch: 0 })).toThrow(
      /batchesPerEpoch must be an integer ≥ 1/,
    );
  });
});
