/**
 * Turns a trained shapes-demo model (`npm run demo` → runs/demo/train/model.safetensors + .json) into the
 * committed test fixture `test/fixtures/models/shapes-demo.{safetensors,json}`: float weights stored as fp16
 * (half the size; the readers widen them back), int64 buffers kept, the sidecar copied.
 *   node -r ./tools/register.js tools/make_demo_model_fixture.ts runs/demo/train/model.safetensors
 */
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSafetensors, writeSafetensors } from '@resdet/checkpoint';
import type { StateDict } from '@resdet/nn';

const src = process.argv[2];
if (!src) throw new Error('usage: make_demo_model_fixture.ts <model.safetensors>');
const out = path.resolve(__dirname, '../test/fixtures/models/shapes-demo');
const sd: StateDict = readSafetensors(src).tensors;
const half: StateDict = new Map();
for (const [k, t] of sd) half.set(k, t.dtype === 'float32' ? { ...t, dtype: 'float16' } : t);
writeSafetensors(`${out}.safetensors`, half, {
  source: path.basename(src),
  note: 'fp16 copy of a trained shapes-demo model',
});
copyFileSync(src.replace(/\.safetensors$/, '.json'), `${out}.json`);
console.log(`wrote ${out}.safetensors (${half.size} tensors) and ${out}.json`);
