import { BadRequestException } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Resolves a client-given path under the data root, refusing what could reach outside it: absolute paths,
 * `..` segments, and symlinks whose target lies elsewhere (checked on the real path). 400 with the reason.
 */
export async function confineToDataRoot(root: string, given: string, what: string): Promise<string> {
  if (path.isAbsolute(given) || given.split(/[\\/]/).includes('..') || given.includes('\0')) {
    throw new BadRequestException(
      `${what} must be a relative path inside the data root, without ".." (got "${given}")`,
    );
  }
  const realRoot = await fs.realpath(root);
  let real: string;
  try {
    real = await fs.realpath(path.join(realRoot, given));
  } catch {
    throw new BadRequestException(`${what} "${given}" does not exist under the data root`);
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new BadRequestException(`${what} "${given}" leads outside the data root (symlink)`);
  }
  return real;
}
