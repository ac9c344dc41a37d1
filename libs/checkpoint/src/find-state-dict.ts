import { StateDict } from '@resdet/nn';
import { CheckpointError } from './checkpoint-error';
import { OpaqueGlobal, OpaqueObject, PickleTuple } from './pickle';
import { TensorRef } from './torch-tensor-ref';

/** Keys under which training scripts commonly nest the model's state dict, in the order tried. */
export const STATE_DICT_KEYS: readonly string[] = Object.freeze([
  'state_dict',
  'model_state_dict',
  'model',
  'model_state',
  'net',
  'network',
  'weights',
  'params',
]);

function isTensorDict(v: unknown): v is Map<string, TensorRef> {
  if (!(v instanceof Map) || v.size === 0) return false;
  for (const [k, t] of v) if (typeof k !== 'string' || !(t instanceof TensorRef)) return false;
  return true;
}

function describe(v: unknown): string {
  if (v instanceof OpaqueObject) return `a ${v.global.qualifiedName} object`;
  if (v instanceof OpaqueGlobal) return v.qualifiedName;
  if (v instanceof Map)
    return `a dict with keys ${[...v.keys()].slice(0, 8).map(String).join(', ')}${v.size > 8 ? ', …' : ''}`;
  if (v instanceof PickleTuple) return 'a tuple';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof TensorRef) return 'a single tensor';
  return typeof v;
}

/** Every tensor dict reachable from `v` within `depth` levels of dicts, with its dotted path. */
function tensorDicts(v: unknown, path: string, depth: number): [string, Map<string, TensorRef>][] {
  if (isTensorDict(v)) return [[path, v]];
  if (!(v instanceof Map) || depth === 0) return [];
  const out: [string, Map<string, TensorRef>][] = [];
  for (const [k, child] of v)
    out.push(...tensorDicts(child, path ? `${path}.${String(k)}` : String(k), depth - 1));
  return out;
}

/**
 * Finds the state dict inside an unpickled torch object: the object itself when it maps names to
 * tensors, else the first of STATE_DICT_KEYS that holds one (`{"model": sd}`, `{"state_dict": sd}`,
 * nested up to 3 levels), else the only tensor dict anywhere within 3 levels. Returns its path ('' at
 * the top) and the lazy tensors; throws naming the file and what was found otherwise.
 */
export function findStateDict(
  root: unknown,
  file: string,
): { path: string; tensors: Map<string, TensorRef> } {
  if (isTensorDict(root)) return { path: '', tensors: root };
  let node = root;
  let path = '';
  for (let depth = 0; depth < 3 && node instanceof Map; depth++) {
    const key = STATE_DICT_KEYS.find((k) => (node as Map<unknown, unknown>).has(k));
    if (!key) break;
    node = node.get(key);
    path = path ? `${path}.${key}` : key;
    if (isTensorDict(node)) return { path, tensors: node };
  }
  const found = tensorDicts(root, '', 3);
  if (found.length === 1) return { path: found[0][0], tensors: found[0][1] };
  if (found.length > 1) {
    throw new CheckpointError(
      `holds several tensor dicts (${found.map(([p]) => p || '<root>').join(', ')}); cannot tell which is the model's state dict`,
      file,
    );
  }
  throw new CheckpointError(`no state dict found: the file holds ${describe(root)}`, file);
}

/** Reads every lazy tensor of a found state dict into host memory (contiguous, torch layout). */
export function materializeStateDict(tensors: Map<string, TensorRef>): StateDict {
  const sd: StateDict = new Map();
  for (const [name, ref] of tensors) sd.set(name, ref.materialize(name));
  return sd;
}
