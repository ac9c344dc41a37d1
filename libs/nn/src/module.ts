import * as tf from '@tensorflow/tfjs-core';
import { HostTensor, StateDict, numel, shapeToString } from './host-tensor';

/**
 * How a tensor is stored inside resdet (NHWC world, e.g. conv weights HWIO) versus in a torch
 * state dict (e.g. OIHW). Both directions are pure functions of the tensor.
 */
export interface Layout {
  /** torch shape for a given internal shape. */
  torchShape(internal: readonly number[]): number[];
  toTorch(t: tf.Tensor): tf.Tensor;
  fromTorch(t: tf.Tensor): tf.Tensor;
}

export const IDENTITY_LAYOUT: Layout = {
  torchShape: (s) => [...s],
  toTorch: (t) => t.clone(),
  fromTorch: (t) => t.clone(),
};

interface Slot {
  tensor: tf.Tensor;
  layout: Layout;
  kind: 'parameter' | 'buffer';
  /** torch dtype written to state dicts (int64 for BatchNorm's num_batches_tracked). */
  torchDType: 'float32' | 'int64';
}

export interface LoadStateDictOptions {
  /** Throw on missing/unexpected keys (shape mismatches always throw). Default true. */
  strict?: boolean;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missing: string[] = [],
    readonly unexpected: string[] = [],
    readonly mismatched: string[] = [],
  ) {
    super(message);
  }
}

/**
 * A tree of named parameters, buffers and child modules, like `torch.nn.Module`. Children are
 * registered under torchvision's names so `stateDict()` keys match torchvision's exactly, while
 * TypeScript fields stay camelCase. Parameters are `tf.Variable`s (trainable unless frozen); buffers
 * are plain tensors replaced in place by `setBuffer`. Call `dispose()` to free everything.
 *
 * @example
 * class Affine extends Module {
 *   readonly w = this.registerParameter('weight', tf.ones([4]));
 * }
 * const m = new Affine();
 * m.stateDict().get('weight')!.shape; // [4]
 */
export abstract class Module {
  training = true;
  private readonly slots = new Map<string, Slot>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(
    name: string,
    init: tf.Tensor,
    opts: { trainable?: boolean; layout?: Layout } = {},
  ): tf.Variable {
    this.assertFree(name);
    const v = tf.variable(init, opts.trainable ?? true);
    if (v !== init) init.dispose();
    this.slots.set(name, {
      tensor: v,
      layout: opts.layout ?? IDENTITY_LAYOUT,
      kind: 'parameter',
      torchDType: 'float32',
    });
    return v;
  }

  protected registerBuffer(
    name: string,
    init: tf.Tensor,
    opts: { layout?: Layout; torchDType?: 'float32' | 'int64' } = {},
  ): void {
    this.assertFree(name);
    this.slots.set(name, {
      tensor: tf.keep(init),
      layout: opts.layout ?? IDENTITY_LAYOUT,
      kind: 'buffer',
      torchDType: opts.torchDType ?? 'float32',
    });
  }

  /** Current value of a buffer registered on this module. */
  protected buffer(name: string): tf.Tensor {
    const s = this.slots.get(name);
    if (!s || s.kind !== 'buffer') throw new Error(`${this.constructor.name} has no buffer "${name}"`);
    return s.tensor;
  }

  /** Replaces a buffer's value (the old tensor is disposed, the new one kept). */
  protected setBuffer(name: string, value: tf.Tensor): void {
    const s = this.slots.get(name);
    if (!s || s.kind !== 'buffer') throw new Error(`${this.constructor.name} has no buffer "${name}"`);
    if (s.tensor === value) return;
    s.tensor.dispose();
    s.tensor = tf.keep(value);
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.assertFree(name);
    this.children.set(name, m);
    return m;
  }

  private assertFree(name: string): void {
    if (this.slots.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: "${name}" is registered twice`);
    }
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every module in the tree with its dotted name ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  private namedSlots(prefix = ''): [string, Slot][] {
    const out: [string, Slot][] = [];
    for (const [n, s] of this.slots) out.push([prefix + n, s]);
    for (const [n, c] of this.children) out.push(...c.namedSlots(`${prefix}${n}.`));
    return out;
  }

  /** All parameters (trainable or frozen) with dotted names. */
  namedParameters(): [string, tf.Variable][] {
    return this.namedSlots()
      .filter(([, s]) => s.kind === 'parameter')
      .map(([n, s]) => [n, s.tensor as tf.Variable]);
  }

  /** Trainable parameters only: what an optimizer updates. */
  trainableParameters(): [string, tf.Variable][] {
    return this.namedParameters().filter(([, v]) => v.trainable);
  }

  namedBuffers(): [string, tf.Tensor][] {
    return this.namedSlots()
      .filter(([, s]) => s.kind === 'buffer')
      .map(([n, s]) => [n, s.tensor]);
  }

  /** Sets train mode on the whole tree (BatchNorm uses batch statistics in train mode). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Freezes (or unfreezes) every parameter in this subtree. */
  requiresGrad(flag: boolean): this {
    for (const [, v] of this.namedParameters()) v.trainable = flag;
    return this;
  }

  /** Parameters and buffers in torch layout and torch names, read to host memory. */
  stateDict(): StateDict {
    return this.slotsToHost(this.namedSlots());
  }

  /** Buffers only (BatchNorm running statistics …), as in {@link stateDict}: what a forward in train mode updates. */
  buffersStateDict(): StateDict {
    return this.slotsToHost(this.namedSlots().filter(([, s]) => s.kind === 'buffer'));
  }

  private slotsToHost(slots: [string, Slot][]): StateDict {
    const sd: StateDict = new Map();
    for (const [name, s] of slots) {
      const t = tf.tidy(() => s.layout.toTorch(s.tensor));
      const shape = [...t.shape];
      const values = t.dataSync();
      t.dispose();
      if (s.torchDType === 'int64') {
        sd.set(name, {
          dtype: 'int64',
          shape,
          data: BigInt64Array.from(values, (x) => BigInt(Math.round(x))),
        });
      } else {
        sd.set(name, { dtype: 'float32', shape, data: Float32Array.from(values) });
      }
    }
    return sd;
  }

  /**
   * Local state-dict keys this module accepts and drops when loading (never unexpected), as torch modules
   * do in `_load_from_state_dict` (e.g. torchvision's FrozenBatchNorm2d drops `num_batches_tracked`).
   */
  protected ignoredLoadKeys(): readonly string[] {
    return [];
  }

  /**
   * Local state-dict keys this module may find absent when loading (never missing; the current value
   * stays), as torch's BatchNorm does for `num_batches_tracked`, which many exporters leave out.
   */
  protected optionalLoadKeys(): readonly string[] {
    return [];
  }

  /**
   * Loads torch-layout tensors by torchvision name. Every key is checked before anything is assigned,
   * so a failed load leaves the module untouched. Shape mismatches always throw (with both shapes);
   * missing/unexpected keys throw when `strict` (default) and are reported otherwise.
   */
  loadStateDict(sd: StateDict, opts: LoadStateDictOptions = {}): LoadReport {
    const strict = opts.strict ?? true;
    const slots = new Map(this.namedSlots());
    const qualified = (keys: (m: Module) => readonly string[]) =>
      new Set(this.namedModules().flatMap(([p, m]) => keys(m).map((k) => (p ? `${p}.${k}` : k))));
    const ignored = qualified((m) => m.ignoredLoadKeys());
    const optional = qualified((m) => m.optionalLoadKeys());
    const missing = [...slots.keys()].filter((k) => !sd.has(k) && !optional.has(k));
    const unexpected = [...sd.keys()].filter((k) => !slots.has(k) && !ignored.has(k));
    const mismatched: string[] = [];
    for (const [name, s] of slots) {
      const src = sd.get(name);
      if (!src) continue;
      const want = s.layout.torchShape(s.tensor.shape);
      if (want.length !== src.shape.length || want.some((d, i) => d !== src.shape[i])) {
        mismatched.push(`${name} is ${shapeToString(src.shape)}, model expects ${shapeToString(want)}`);
      }
    }
    const problems = [...mismatched];
    if (strict && missing.length) problems.push(`missing keys: ${firstFew(missing)}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${firstFew(unexpected)}`);
    if (problems.length) {
      throw new StateDictError(
        `state dict does not fit the model:\n  ${problems.join('\n  ')}`,
        missing,
        unexpected,
        mismatched,
      );
    }
    for (const [name, s] of slots) {
      const src = sd.get(name);
      if (!src) continue;
      const value = tf.tidy(() => s.layout.fromTorch(hostToTensor(src)));
      if (s.kind === 'parameter') {
        (s.tensor as tf.Variable).assign(value);
        value.dispose();
      } else {
        s.tensor.dispose();
        s.tensor = tf.keep(value);
      }
    }
    return { missing, unexpected };
  }

  /** Frees every parameter and buffer in the tree (recursively through each child's `dispose`, so
   * subclasses that hold caches can free them by overriding it). */
  dispose(): void {
    for (const [, s] of this.slots) s.tensor.dispose();
    for (const [, c] of this.children) c.dispose();
  }
}

/** The first `max` names, then how many more (error messages stay readable for 300-key models). */
function firstFew(keys: readonly string[], max = 10): string {
  const more = keys.length > max ? `, … and ${keys.length - max} more` : '';
  return keys.slice(0, max).join(', ') + more;
}

/** Host tensor → float32 (or int32) tfjs tensor; int64 values are narrowed to float32. */
export function hostToTensor(h: HostTensor): tf.Tensor {
  if (h.data.length !== numel(h.shape)) {
    throw new Error(`host tensor has ${h.data.length} values for shape ${shapeToString(h.shape)}`);
  }
  if (h.data instanceof BigInt64Array)
    return tf.tensor(Float32Array.from(h.data, Number), h.shape, 'float32');
  if (h.data instanceof Int32Array) return tf.tensor(h.data, h.shape, 'int32');
  if (h.data instanceof Uint8Array) return tf.tensor(Float32Array.from(h.data), h.shape, 'float32');
  return tf.tensor(h.data, h.shape, 'float32');
}
