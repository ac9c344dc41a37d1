import { StateDict } from '@resdet/nn';

/** One key renamed by {@link upgradeTorchvisionKeys}. */
export interface KeyRename {
  from: string;
  to: string;
}

/**
 * torchvision's version-1 → version-2 key renames, as its `_load_from_state_dict` hooks apply them
 * when a checkpoint's module `version` metadata is missing or < 2:
 * - `RPNHead` (torchvision/models/detection/rpn.py, `_version = 2`): `conv.{weight,bias}` →
 *   `conv.0.0.{weight,bias}` (the conv became `Conv2dNormActivation` inside a Sequential).
 * - `FeaturePyramidNetwork` (torchvision/ops/feature_pyramid_network.py, `_version = 2`):
 *   `inner_blocks.{i}.{weight,bias}` and `layer_blocks.{i}.{weight,bias}` → `….{i}.0.{weight,bias}`.
 * The published COCO `fasterrcnn_resnet50_fpn_coco-258fb6c6.pth` uses the old names. Patterns match
 * at any prefix (`rpn.head.`, `backbone.fpn.`, or these under a wrapper such as `module.`).
 */
const RULES: readonly [RegExp, (m: RegExpMatchArray) => string][] = Object.freeze([
  [/^((?:.*\.)?rpn\.head\.conv)\.(weight|bias)$/, (m) => `${m[1]}.0.0.${m[2]}`],
  [/^((?:.*\.)?fpn\.(?:inner_blocks|layer_blocks)\.\d+)\.(weight|bias)$/, (m) => `${m[1]}.0.${m[2]}`],
]);

/**
 * Renames torchvision's pre-0.13 Faster R-CNN key names to today's (see RULES), keeping key order.
 * As in torchvision, the old key wins when both are present. Tensors are shared, not copied.
 *
 * @example
 * upgradeTorchvisionKeys(sd).renamed; // [{ from: 'rpn.head.conv.weight', to: 'rpn.head.conv.0.0.weight' }, …]
 */
export function upgradeTorchvisionKeys(sd: StateDict): { stateDict: StateDict; renamed: KeyRename[] } {
  const renamed: KeyRename[] = [];
  const newName = new Map<string, string>();
  for (const key of sd.keys()) {
    for (const [re, to] of RULES) {
      const m = key.match(re);
      if (m) {
        newName.set(key, to(m));
        renamed.push({ from: key, to: to(m) });
        break;
      }
    }
  }
  if (!renamed.length) return { stateDict: sd, renamed };
  const targets = new Set(newName.values());
  const out: StateDict = new Map();
  for (const [key, t] of sd) {
    const to = newName.get(key);
    if (to) out.set(to, t);
    else if (!targets.has(key)) out.set(key, t);
  }
  return { stateDict: out, renamed };
}

/**
 * Prefixes that wrappers add to every key of the wrapped model's state dict: `module.` from
 * `nn.DataParallel`/`DistributedDataParallel`, `_orig_mod.` from `torch.compile`.
 */
export const WRAPPER_PREFIXES: readonly string[] = Object.freeze(['module.', '_orig_mod.']);

/**
 * torch's `consume_prefix_in_state_dict_if_present` for the wrapper prefixes: while every key starts
 * with one of WRAPPER_PREFIXES, that prefix is stripped (a DDP-wrapped compiled model has both).
 * Returns the dict unchanged (same object) when nothing is wrapped, plus the prefixes removed.
 *
 * @example
 * unwrapStateDict(new Map([['module.fc.weight', t]])).stateDict.has('fc.weight'); // true
 */
export function unwrapStateDict(sd: StateDict): { stateDict: StateDict; stripped: string[] } {
  const stripped: string[] = [];
  let out = sd;
  for (;;) {
    const keys = [...out.keys()];
    const prefix = WRAPPER_PREFIXES.find((p) => keys.length > 0 && keys.every((k) => k.startsWith(p)));
    if (!prefix) return { stateDict: out, stripped };
    out = stripKeyPrefix(out, prefix);
    stripped.push(prefix);
  }
}

/**
 * Removes a prefix from every key that has it (e.g. `module.` from `nn.DataParallel` checkpoints);
 * keys without it are kept as they are.
 */
export function stripKeyPrefix(sd: StateDict, prefix: string): StateDict {
  const out: StateDict = new Map();
  for (const [k, t] of sd) out.set(k.startsWith(prefix) ? k.slice(prefix.length) : k, t);
  return out;
}
