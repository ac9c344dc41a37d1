import {
  AttributeProtoInit,
  DimInit,
  GraphProtoInit,
  NodeProtoInit,
  OnnxAttributeType,
  OnnxDataType,
  OnnxElemType,
  TensorProtoInit,
  ValueInfoInit,
} from './onnx-proto';

/** An attribute value: number (INT when integral unless wrapped by {@link floatAttr}), string, number lists. */
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

/** Marks a number (or list) as a FLOAT attribute (`spatial_scale: floatAttr(1)`). */
export function floatAttr(v: number): { float: number };
export function floatAttr(v: number[]): { floats: number[] };
export function floatAttr(v: number | number[]): { float: number } | { floats: number[] } {
  return typeof v === 'number' ? { float: v } : { floats: v };
}

/**
 * Builds one ONNX graph: nodes in topological order, float32/int64 initializers (weights, shape constants) and
 * typed inputs/outputs with fixed or symbolic dimensions. Value names are made unique from a readable prefix
 * (the module path, e.g. `backbone.body.layer1.0.conv1`), so a node in Netron points back at the torchvision key.
 *
 * @example
 * const g = new GraphBuilder('backbone');
 * const x = g.input('images', OnnxDataType.FLOAT, ['N', 3, 'H', 'W']);
 * const w = g.initializer('conv.weight', weights, [64, 3, 7, 7]);
 * const y = g.node('Conv', [x, w], { kernel_shape: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3] }, 'conv');
 * g.output(y, 'features', OnnxDataType.FLOAT, ['N', 64, 'H2', 'W2']);
 */
export class GraphBuilder {
  private readonly nodes: NodeProtoInit[] = [];
  private readonly inits: TensorProtoInit[] = [];
  private readonly inputs: ValueInfoInit[] = [];
  private readonly outputs: ValueInfoInit[] = [];
  private readonly used = new Set<string>();
  private readonly int64Cache = new Map<string, string>();

  constructor(readonly name: string) {}

  /** A unique value name starting with `prefix`. */
  unique(prefix: string): string {
    let name = prefix;
    for (let k = 1; this.used.has(name); k++) name = `${prefix}_${k}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: OnnxElemType, shape: DimInit[]): string {
    if (this.used.has(name)) throw new Error(`GraphBuilder ${this.name}: input name "${name}" is taken`);
    this.used.add(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Exposes `value` as a graph output called `name` (an Identity node renames it when needed). */
  output(value: string, name: string, elemType: OnnxElemType, shape: DimInit[]): void {
    if (value !== name) {
      if (this.used.has(name)) throw new Error(`GraphBuilder ${this.name}: output name "${name}" is taken`);
      this.used.add(name);
      this.nodes.push({
        input: [value],
        output: [name],
        name: `${name}/identity`,
        opType: 'Identity',
        attribute: [],
      });
    }
    this.outputs.push({ name, elemType, shape });
  }

  /** A float32 initializer (weights), stored as raw little-endian bytes. */
  initializer(prefix: string, data: Float32Array, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) {
      throw new Error(
        `GraphBuilder ${this.name}: initializer ${prefix} has ${data.length} values for dims [${dims}]`,
      );
    }
    const name = this.unique(prefix);
    const copy = Float32Array.from(data); // own, aligned buffer
    this.inits.push({ name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(copy.buffer) });
    return name;
  }

  /** An int64 constant vector (shapes, axes), shared between nodes that use the same values. */
  int64(values: readonly number[]): string {
    const key = values.join(',');
    const hit = this.int64Cache.get(key);
    if (hit) return hit;
    const name = this.unique(`const_i64_${values.map((v) => (v < 0 ? `m${-v}` : v)).join('_') || 'empty'}`);
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.inits.push({
      name,
      dims: [values.length],
      dataType: OnnxDataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    this.int64Cache.set(key, name);
    return name;
  }

  /**
   * Appends a node; returns its output names (one unless `numOutputs` > 1). Inputs may be `''` for an omitted
   * optional input, as ONNX specifies.
   */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    prefix = opType.toLowerCase(),
  ): string {
    return this.nodeN(opType, inputs, attrs, prefix, 1)[0];
  }

  nodeN(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue>,
    prefix: string,
    numOutputs: number,
  ): string[] {
    const outs = Array.from({ length: numOutputs }, (_, i) =>
      this.unique(numOutputs === 1 ? prefix : `${prefix}_${i}`),
    );
    this.nodes.push({
      input: inputs,
      output: outs,
      name: `${outs[0]}/${opType}`,
      opType,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return outs;
  }

  build(docString?: string): GraphProtoInit {
    if (this.outputs.length === 0) throw new Error(`GraphBuilder ${this.name}: the graph has no outputs`);
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.inits,
      input: this.inputs,
      output: this.outputs,
      docString,
    };
  }

  /** Number of float32 weights held (for logs). */
  get numWeights(): number {
    return this.inits
      .filter((t) => t.dataType === OnnxDataType.FLOAT)
      .reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  }
}

function attribute(name: string, v: AttrValue): AttributeProtoInit {
  if (typeof v === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}=${v}: use floatAttr() for float attributes`);
    return { name, type: OnnxAttributeType.INT, i: v };
  }
  if (Array.isArray(v)) {
    if (v.some((x) => !Number.isInteger(x)))
      throw new Error(`attribute ${name}=[${v}]: use floatAttr() for floats`);
    return { name, type: OnnxAttributeType.INTS, ints: v };
  }
  if ('float' in v) return { name, type: OnnxAttributeType.FLOAT, f: v.float };
  return { name, type: OnnxAttributeType.FLOATS, floats: v.floats };
}
