import * as protobuf from 'protobufjs';

/**
 * The subset of `onnx.proto` (ONNX IR version 8, `onnx/onnx.proto3`) resdet writes: ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto(.Tensor), TensorShapeProto,
 * OperatorSetIdProto, StringStringEntryProto. Field numbers are ONNX's own, so the bytes are a valid ONNX file
 * for any reader; fields resdet never sets (sparse tensors, functions, training info, segments) are left out.
 */
const ONNX_PROTO_JSON = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            docString: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
            graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                INT: 2,
                STRING: 3,
                TENSOR: 4,
                GRAPH: 5,
                FLOATS: 6,
                INTS: 7,
                STRINGS: 8,
                TENSORS: 9,
                GRAPHS: 10,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            stringData: { rule: 'repeated', type: 'bytes', id: 6 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
          },
          nested: {
            DataType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                UINT8: 2,
                INT8: 3,
                UINT16: 4,
                INT16: 5,
                INT32: 6,
                INT64: 7,
                STRING: 8,
                BOOL: 9,
                FLOAT16: 10,
                DOUBLE: 11,
              },
            },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dimension', id: 1 },
          },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
      },
    },
  },
};

/** ONNX `TensorProto.DataType` codes resdet uses. */
export const OnnxDataType = Object.freeze({ FLOAT: 1, INT32: 6, INT64: 7 });
export type OnnxElemType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** ONNX `AttributeProto.AttributeType` codes. */
export const OnnxAttributeType = Object.freeze({
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
});

/** IR version 8 goes with opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

// Plain-object shapes of the messages (protobufjs `fromObject` input, camelCase field names).
export interface TensorProtoInit {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  int64Data?: number[];
}
export interface AttributeProtoInit {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoInit;
  floats?: number[];
  ints?: number[];
}
export interface NodeProtoInit {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain?: string;
  attribute: AttributeProtoInit[];
}
/** A dimension: a fixed size or a symbolic name (`'N'`, `'H'`). */
export type DimInit = number | string;
export interface ValueInfoInit {
  name: string;
  elemType: number;
  shape: DimInit[];
}
export interface GraphProtoInit {
  name: string;
  node: NodeProtoInit[];
  initializer: TensorProtoInit[];
  input: ValueInfoInit[];
  output: ValueInfoInit[];
  docString?: string;
}
export interface ModelProtoInit {
  graph: GraphProtoInit;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Free-form key/value pairs (`ModelProto.metadata_props`); resdet stores its config here. */
  metadata?: Record<string, string>;
  opset?: number;
}

/**
 * Serialises and parses ONNX models with protobufjs from the schema above (the `.proto` is compiled once per
 * instance, not at module load). Encoding takes tensors as `raw_data` bytes (little-endian), which is what
 * every ONNX runtime reads fastest.
 *
 * @example
 * const codec = new OnnxCodec();
 * const bytes = codec.encode({ graph, producerName: 'resdet' });
 * fs.writeFileSync('model.onnx', bytes);
 * codec.decode(bytes).graph.node.length;
 */
export class OnnxCodec {
  private readonly model: protobuf.Type;

  constructor() {
    const root = protobuf.Root.fromJSON(ONNX_PROTO_JSON);
    this.model = root.lookupType('onnx.ModelProto');
  }

  /** Model → ONNX file bytes. */
  encode(m: ModelProtoInit): Uint8Array {
    const obj = {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: m.opset ?? ONNX_OPSET }],
      producerName: m.producerName ?? 'resdet',
      producerVersion: m.producerVersion ?? '',
      docString: m.docString ?? '',
      graph: {
        name: m.graph.name,
        docString: m.graph.docString ?? '',
        node: m.graph.node,
        initializer: m.graph.initializer,
        input: m.graph.input.map(valueInfo),
        output: m.graph.output.map(valueInfo),
      },
      metadataProps: Object.entries(m.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const err = this.model.verify(obj);
    if (err) throw new Error(`ONNX model "${m.graph.name}" does not fit onnx.ModelProto: ${err}`);
    return this.model.encode(this.model.fromObject(obj)).finish();
  }

  /** ONNX file bytes → a plain object (int64 as numbers, bytes as Uint8Array). */
  decode(bytes: Uint8Array): DecodedModel {
    const msg = this.model.decode(bytes);
    return this.model.toObject(msg, { longs: Number, defaults: true, arrays: true }) as DecodedModel;
  }
}

/** What {@link OnnxCodec.decode} returns (the fields resdet reads back in tests and tools). */
export interface DecodedModel {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  metadataProps: { key: string; value: string }[];
  graph: {
    name: string;
    node: {
      input: string[];
      output: string[];
      name: string;
      opType: string;
      attribute: { name: string; type: number; i: number; f: number; ints: number[] }[];
    }[];
    initializer: { name: string; dims: number[]; dataType: number; rawData: Uint8Array }[];
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
  };
}

export interface DecodedValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } };
}

function valueInfo(v: ValueInfoInit): object {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
