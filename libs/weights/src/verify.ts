import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { WeightsError } from './weights-error';

/** What a file's SHA-256 must be: the full hex digest, or (torchvision) a hex prefix. */
export interface ExpectedHash {
  sha256?: string;
  prefix?: string;
}

/**
 * The hex prefix torch.hub checks (`check_hash`): in `name-<hex>.ext`, the hex run after the last `-`
 * (torchvision publishes 8 digits, e.g. `resnet18-f37072fd.pth`).
 */
export function hashPrefixOfFileName(file: string): string | undefined {
  return /-([0-9a-f]{6,64})\.[A-Za-z0-9]+$/.exec(path.basename(file))?.[1];
}

/** The file's SHA-256 as lowercase hex, streamed (weights files run to hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Whether a digest satisfies what is expected (full digest first, else the prefix). */
export function hashMatches(digest: string, expected: ExpectedHash): boolean {
  if (expected.sha256) return digest === expected.sha256.toLowerCase();
  if (expected.prefix) return digest.startsWith(expected.prefix.toLowerCase());
  return false;
}

/**
 * Checks `file` against `expected`; on a mismatch throws a WeightsError naming both digests (`what` says
 * where the file came from). With nothing to check against it throws too: resdet never uses unverified files.
 */
export async function verifyFile(file: string, expected: ExpectedHash, what: string = file): Promise<string> {
  if (!expected.sha256 && !expected.prefix) {
    throw new WeightsError(`${what}: no sha256 to check it against (add "sha256" to its registry entry)`);
  }
  const digest = await sha256File(file);
  if (!hashMatches(digest, expected)) {
    const want = expected.sha256 ?? `${expected.prefix}…`;
    throw new WeightsError(`${what}: sha256 is ${digest}, expected ${want}`);
  }
  return digest;
}
