import { createProgress } from './progress';

/** A non-terminal stderr stand-in that records what was written. */
function captureStream() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(...s.split('\n').filter(Boolean)) };
  return { lines, stream: stream as unknown as NodeJS.WriteStream };
}

describe('createProgress on a non-terminal stream', () => {
  const saved = process.env.RESDET_LOG_FORMAT;
  afterEach(() => {
    if (saved === undefined) delete process.env.RESDET_LOG_FORMAT;
    else process.env.RESDET_LOG_FORMAT = saved;
  });

  it('writes readable lines by default', () => {
    delete process.env.RESDET_LOG_FORMAT;
    const { lines, stream } = captureStream();
    const p = createProgress('detect', 4, { stream, intervalMs: 0 });
    p.update(2);
    p.update(4, { loss: 0.5 });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^detect: 2\/4 \(50\.0%\) /);
    expect(lines[1]).toMatch(/\| loss 0\.5$/);
  });

  it('with --log-format json every line is one JSON record (no bar, nothing else interleaved)', () => {
    process.env.RESDET_LOG_FORMAT = 'json';
    const { lines, stream } = captureStream();
    const p = createProgress('train', 10, { stream, intervalMs: 0 });
    p.update(5, { loss: 1.25 });
    p.update(10);
    p.stop();
    const records = lines.map((l) => JSON.parse(l));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      level: 30,
      msg: 'progress',
      label: 'train',
      done: 5,
      total: 10,
      loss: 1.25,
    });
    expect(records[1]).toMatchObject({ done: 10, eta: 0 });
  });
});
