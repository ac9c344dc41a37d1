/**
 * Test-only reader for the parity fixtures written by `tools/detection/make_ops_fixtures.py`
 * (torch 1.13 / torchvision 0.14) under `test/fixtures/detection/ops/`. Not exported from the lib.
 * Float arrays are stored as `{shape, f32: base64 little-endian float32}`; image-like tensors are NHWC.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

export interface F32 {
  shape: number[];
  f32: string;
}

export interface Decoded {
  shape: number[];
  data: Float32Array;
}

const FIXTURE_DIR = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'detection', 'ops');

/** Reads `test/fixtures/detection/ops/<name>.json`. */
export function readOpsFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as T;
}

/** Decodes one stored float32 array. */
export function f32(a: F32): Decoded {
  const buf = Buffer.from(a.f32, 'base64');
  const data = new Float32Array(buf.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(i * 4);
  return { shape: a.shape, data };
}
