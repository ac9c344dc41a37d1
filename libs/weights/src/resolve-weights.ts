import * as fs from 'fs';
import { packageRoot } from './package-root';
import { pullWeights, type PullOptions } from './pull-weights';
import { findEntry, loadRegistry } from './registry';
import { WeightsError } from './weights-error';

export interface ResolveWeightsOptions extends PullOptions {
  /** The flag being resolved, for messages (`--weights`, `--from`). */
  flag?: string;
  /** resdet's package folder, where built-in local entries lie (default: found above this file). */
  root?: string;
}

/**
 * What a `--weights` / `--from` value means, as a local file path: an existing file or folder is used as it
 * is; otherwise the value is a registry name (built-in or RESDET_REGISTRY), downloaded and verified into the
 * cache when needed (see {@link pullWeights}). Anything else is a WeightsError that names the flag.
 *
 * @example
 * const file = await resolveWeights('fasterrcnn_resnet50_fpn', { env: process.env, flag: '--weights' });
 * // ~/.cache/resdet/weights/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth
 */
export async function resolveWeights(nameOrPath: string, opts: ResolveWeightsOptions = {}): Promise<string> {
  if (fs.existsSync(nameOrPath)) return nameOrPath;
  const flag = opts.flag ?? '--weights';
  const registry = loadRegistry(opts.env ?? {}, opts.root ?? packageRoot());
  if (!registry.some((e) => e.name === nameOrPath)) {
    const hint = /[/\\]|\.(pth|pt|safetensors|json)$/.test(nameOrPath)
      ? 'no such file'
      : 'neither a file nor a registry name';
    throw new WeightsError(
      `${flag} ${nameOrPath}: ${hint} (registry names: ${registry.map((e) => e.name).join(', ')}; resdet weights list)`,
    );
  }
  return pullWeights(findEntry(registry, nameOrPath), opts);
}
