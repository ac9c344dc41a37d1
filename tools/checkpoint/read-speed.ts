/**
 * Prints how long readStateDict takes on the given weights files (torch zip/legacy .pth, .safetensors)
 * and the resulting MB/s; with no arguments it writes and reads a synthetic 160 MB float32 safetensors
 * file in the OS temp folder. A dev tool, not a test:
 *   node -r ./tools/register.js tools/checkpoint/read-speed.ts [FILE…]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readWeightsFile, writeSafetensors } from '@resdet/checkpoint';
import { StateDict } from '@resdet/nn';
import { Rng } from '@resdet/random';

function synthetic(): string {
  const rng = new Rng(0);
  const sd: StateDict = new Map();
  for (let i = 0; i < 40; i++)
    sd.set(`layer${i}.weight`, { dtype: 'float32', shape: [1000, 1000], data: rng.normalArray(1e6) });
  const file = path.join(os.tmpdir(), 'resdet-read-speed.safetensors');
  const t0 = performance.now();
  writeSafetensors(file, sd);
  console.log(
    `wrote ${file}: ${(fs.statSync(file).size / 1e6).toFixed(0)} MB in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  return file;
}

const files = process.argv.slice(2);
if (!files.length) files.push(synthetic());
for (const file of files) {
  const t0 = performance.now();
  const w = readWeightsFile(file);
  const ms = performance.now() - t0;
  const mb = fs.statSync(file).size / 1e6;
  console.log(
    `${file}: ${w.format}, ${w.stateDict.size} tensors, ${mb.toFixed(1)} MB in ${ms.toFixed(0)} ms (${(mb / (ms / 1000)).toFixed(0)} MB/s)`,
  );
}
