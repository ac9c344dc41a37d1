import * as fs from 'fs';
import * as path from 'path';
import type { WeightsEntry } from './registry';
import { hashPrefixOfFileName } from './verify';
import { WeightsError } from './weights-error';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Reads a user registry file (`RESDET_REGISTRY=path.json`): `{"weights": [entry, …]}` or a bare array. An
 * entry has `name`, and `url` or `path` (relative paths are relative to the registry file), `sha256` (required
 * unless the URL's file name carries a hash prefix), and optional `file`, `arch`, `numClasses`, `sizeMiB`,
 * `source`, `license`.
 *
 * @example
 * {"weights": [{"name": "my-detector", "url": "https://models.example.com/det-2024.safetensors",
 *               "sha256": "9f86d0…", "arch": "fasterrcnn_resnet18_fpn", "numClasses": 5}]}
 */
export function readUserRegistry(file: string): WeightsEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new WeightsError(`RESDET_REGISTRY ${file}: ${(e as Error).message}`);
  }
  const list = Array.isArray(json) ? json : (json as { weights?: unknown })?.weights;
  if (!Array.isArray(list)) {
    throw new WeightsError(`RESDET_REGISTRY ${file}: expected {"weights": [...]} or an array of entries`);
  }
  return list.map((raw, i) => parseEntry(raw, `RESDET_REGISTRY ${file}: entry ${i}`, path.dirname(file)));
}

function parseEntry(raw: unknown, where: string, baseDir: string): WeightsEntry {
  if (!raw || typeof raw !== 'object') throw new WeightsError(`${where}: expected an object`);
  const r = raw as Record<string, unknown>;
  const str = (key: string): string | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) throw new WeightsError(`${where}: "${key}" must be a non-empty string`);
    return v;
  };
  const num = (key: string): number | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0))
      throw new WeightsError(`${where}: "${key}" must be a positive number`);
    return v;
  };
  const name = str('name');
  if (!name || !NAME.test(name)) {
    throw new WeightsError(
      `${where}: "name" must be letters, digits, '.', '_' or '-', got ${JSON.stringify(r.name)}`,
    );
  }
  const url = str('url');
  const localPath = str('path');
  if (!url === !localPath) throw new WeightsError(`${where} (${name}): give exactly one of "url" and "path"`);
  if (url && !/^https?:\/\//.test(url)) throw new WeightsError(`${where} (${name}): "url" must be http(s)`);
  const sha256 = str('sha256');
  if (sha256 && !SHA256.test(sha256))
    throw new WeightsError(`${where} (${name}): "sha256" must be 64 hex digits`);
  const file = str('file') ?? path.basename(url ? new URL(url).pathname : localPath!);
  if (file.includes('/') || file.includes('\\'))
    throw new WeightsError(`${where} (${name}): "file" must be a file name`);
  if (!sha256 && !(url && hashPrefixOfFileName(file))) {
    throw new WeightsError(`${where} (${name}): "sha256" is required (resdet uses no unverified weights)`);
  }
  return {
    name,
    file,
    url,
    path: localPath ? path.resolve(baseDir, localPath) : undefined,
    sha256: sha256?.toLowerCase(),
    arch: str('arch'),
    numClasses: num('numClasses'),
    sizeMiB: num('sizeMiB'),
    source: str('source') ?? (url ? new URL(url).host : 'local file'),
    license: str('license') ?? 'unknown',
    origin: where.replace(/: entry \d+$/, ''),
  };
}
