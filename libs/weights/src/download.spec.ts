import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadFile, partialPath } from './download';
import { WeightsError } from './weights-error';
import { generatedCheckpoint, startWeightsServer, type WeightsServer } from './weights-server.testing';

describe('downloadFile (loopback server)', () => {
  const ckpt = generatedCheckpoint('tiny');
  const prefix = ckpt.file.slice(-12, -4);
  let server: WeightsServer;
  let dir: string;

  beforeAll(async () => {
    server = await startWeightsServer({
      '/ok.pth': { bytes: ckpt.bytes },
      '/cut.pth': { bytes: ckpt.bytes, cutAfter: 40_000 },
      '/slow.pth': { bytes: ckpt.bytes, stallAfter: 0 },
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-dl-'));
    server.requests.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('downloads, checks the hash prefix, renames into place and reports progress up to the total', async () => {
    const dest = path.join(dir, ckpt.file);
    const seen: [number, number | undefined][] = [];
    await downloadFile(`${server.base}/ok.pth`, dest, {
      expected: { prefix },
      onProgress: (r, t) => seen.push([r, t]),
    });
    expect(fs.readFileSync(dest).equals(ckpt.bytes)).toBe(true);
    expect(fs.existsSync(partialPath(dest))).toBe(false);
    expect(seen[seen.length - 1]).toEqual([ckpt.bytes.length, ckpt.bytes.length]);
  });

  it('resumes with a Range request after the connection is cut mid-file', async () => {
    const dest = path.join(dir, ckpt.file);
    const logs: string[] = [];
    await downloadFile(`${server.base}/cut.pth`, dest, {
      expected: { sha256: ckpt.sha256 },
      log: (m) => logs.push(m),
    });
    expect(fs.readFileSync(dest).equals(ckpt.bytes)).toBe(true);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
    expect(logs.join('\n')).toMatch(/resuming at 40000 bytes/);
  });

  it('resumes a partial file a previous run left behind', async () => {
    const dest = path.join(dir, ckpt.file);
    fs.writeFileSync(partialPath(dest), ckpt.bytes.subarray(0, 30_000));
    await downloadFile(`${server.base}/ok.pth`, dest, { expected: { sha256: ckpt.sha256 } });
    expect(server.requests).toEqual([{ path: '/ok.pth', range: 'bytes=30000-' }]);
    expect(fs.readFileSync(dest).equals(ckpt.bytes)).toBe(true);
  });

  it('a hash mismatch deletes the download and says both digests', async () => {
    const dest = path.join(dir, 'tiny-00000000.pth');
    const err = await downloadFile(`${server.base}/ok.pth`, dest, { expected: { prefix: '00000000' } }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(WeightsError);
    expect((err as Error).message).toContain(`sha256 is ${ckpt.sha256}, expected 00000000…`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a 404 is an error that names the URL and status; nothing is left behind', async () => {
    const dest = path.join(dir, ckpt.file);
    await expect(downloadFile(`${server.base}/missing.pth`, dest, { expected: { prefix } })).rejects.toThrow(
      /missing\.pth: HTTP 404 .*not on this server/,
    );
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('gives up on a server that sends nothing for the idle timeout', async () => {
    const dest = path.join(dir, ckpt.file);
    await expect(
      downloadFile(`${server.base}/slow.pth`, dest, { expected: { prefix }, idleTimeoutMs: 300 }),
    ).rejects.toThrow(/slow\.pth: no data for 0\.3 s/);
    expect(fs.existsSync(dest)).toBe(false);
  });
});
