/**
 * Reads every torch / safetensors fixture made by tools/checkpoint/make_fixtures.py (torch 1.13, see
 * expected.json) and compares dtype, shape and every value exactly (tolerance 0: float16/bfloat16 are
 * compared as their exact float32 widening, int64 as decimal strings).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckpointError, readStateDict, readWeightsFile } from '@resdet/checkpoint';
import { HostTensor } from '@resdet/nn';
import { Rng } from '@resdet/random';

const DIR = path.join(__dirname, '..', 'fixtures', 'checkpoint');
interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  files: Record<string, Record<string, Expected>>;
  safetensors_metadata: Record<string, string>;
};

function asJsonValues(t: HostTensor): (number | string)[] {
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => v.toString());
  return Array.from(t.data as ArrayLike<number>);
}

describe('reading torch and safetensors fixtures (exact)', () => {
  it.each(Object.keys(expected.files))('%s', (file) => {
    const want = expected.files[file];
    const got = readWeightsFile(path.join(DIR, file));
    expect(got.format).toBe(
      file.endsWith('.safetensors') ? 'safetensors' : file.includes('legacy') ? 'torch-legacy' : 'torch-zip',
    );
    expect(got.path).toBe(file.startsWith('nested') ? 'model' : '');
    expect([...got.stateDict.keys()]).toEqual(Object.keys(want));
    for (const [name, w] of Object.entries(want)) {
      const t = got.stateDict.get(name)!;
      expect({ name, dtype: t.dtype, shape: t.shape }).toEqual({ name, dtype: w.dtype, shape: w.shape });
      expect(t.data.length).toBe(w.values.length);
      expect(asJsonValues(t)).toEqual(w.values);
    }
    if (file.endsWith('.safetensors')) expect(got.metadata).toEqual(expected.safetensors_metadata);
  });

  it('returns the array types HostTensor promises', () => {
    const sd = readStateDict(path.join(DIR, 'dtypes-zip.pth'));
    expect(sd.get('f16')!.data).toBeInstanceOf(Float32Array);
    expect(sd.get('bf16')!.data).toBeInstanceOf(Float32Array);
    expect(sd.get('i64')!.data).toBeInstanceOf(BigInt64Array);
    expect(sd.get('i32')!.data).toBeInstanceOf(Int32Array);
    expect(sd.get('u8')!.data).toBeInstanceOf(Uint8Array);
  });
});

describe('broken files fail with a message naming the file', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-bad-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function errorOf(file: string): Error {
    try {
      readStateDict(file);
    } catch (e) {
      return e as Error;
    }
    throw new Error(`${file} was read without error`);
  }

  const cases: [string, string, number, RegExp][] = [
    [
      'zip cut in half',
      'tiny-zip.pth',
      0.5,
      /end-of-central-directory record not found \(truncated file\?\)/,
    ],
    ['zip missing its last byte', 'tiny-zip.pth', -1, /truncated|end-of-central-directory/],
    ['legacy cut inside the storages', 'tiny-legacy.pth', -10, /truncated file: storage \S+ \(.*\) ends at/],
    ['legacy cut inside the pickle', 'tiny-legacy.pth', 0.2, /truncated pickle/],
    ['safetensors cut short', 'dtypes.safetensors', -3, /truncated file: tensor \S+ ends at data byte/],
  ];
  it.each(cases)('%s', (_label, src, cut, msg) => {
    const bytes = fs.readFileSync(path.join(DIR, src));
    const keep = cut < 0 ? bytes.length + cut : Math.floor(bytes.length * cut);
    const file = path.join(tmp, `cut-${src}`);
    fs.writeFileSync(file, bytes.subarray(0, keep));
    const err = errorOf(file);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message.startsWith(`checkpoint ${file}: `)).toBe(true);
    expect(err.message).toMatch(msg);
  });

  it('random bytes', () => {
    const rng = new Rng(7);
    const file = path.join(tmp, 'random.pth');
    fs.writeFileSync(
      file,
      Uint8Array.from({ length: 4096 }, () => rng.int(256)),
    );
    const err = errorOf(file);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(
      /^checkpoint .*random\.pth: not a checkpoint: unrecognised format \(first bytes [0-9a-f ]+\)/,
    );
  });

  it('an empty file and a missing file', () => {
    const empty = path.join(tmp, 'empty.pth');
    fs.writeFileSync(empty, '');
    expect(errorOf(empty).message).toBe(`checkpoint ${empty}: empty file`);
    expect(errorOf(path.join(tmp, 'nope.pth')).message).toMatch(/nope\.pth: cannot open/);
  });

  it('a zip that is not a torch checkpoint', () => {
    const { zipSync } = jest.requireActual<typeof import('fflate')>('fflate');
    const file = path.join(tmp, 'other.zip');
    fs.writeFileSync(file, zipSync({ 'readme.txt': new Uint8Array([104, 105]) }));
    expect(errorOf(file).message).toMatch(
      /other\.zip: zip has no <archive>\/data\.pkl: not a torch checkpoint/,
    );
  });
});

describe('hostile or foreign pickles inside a torch zip', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-evil-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const { zipSync } = jest.requireActual<typeof import('fflate')>('fflate');
  const write = (name: string, pkl: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, zipSync({ 'anything/data.pkl': Buffer.from(pkl, 'latin1') }, { level: 0 }));
    return file;
  };

  it('a REDUCE of os.system is never run; the file is reported as holding no state dict', () => {
    const file = write(
      'evil.pth',
      '\x80\x02cposix\nsystem\nq\x00X\x0b\x00\x00\x00touch pwnedq\x01\x85q\x02Rq\x03.',
    );
    expect(() => readStateDict(file)).toThrow(
      new CheckpointError('no state dict found: the file holds a posix.system object', file),
    );
    expect(fs.existsSync('pwned')).toBe(false);
  });

  it('a persistent id that is not a storage (old full-module pickles) is refused by name', () => {
    const file = write('module.pth', '\x80\x02X\x06\x00\x00\x00module\x85Q.');
    expect(() => readStateDict(file)).toThrow(/persistent id 'module' is not a tensor storage/);
  });
});
