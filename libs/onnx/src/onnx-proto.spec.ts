/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * The protobufjs ONNX schema: bytes a hand-checkable case produces (field numbers are ONNX's), a decode round
 * trip, and onnxruntime-node running a tiny written model (Add of an input and an initializer, symbolic dims).
 */
import * as ort from 'onnxruntime-node';
import { floatAttr, GraphBuilder } from './graph-builder';
import { ONNX_IR_VERSION, ONNX_OPSET, OnnxCodec, OnnxDataType } from './onnx-proto';

function addModel(): Uint8Array {
  const g = new GraphBuilder('add');
  const x = g.input('x', OnnxDataType.FLOAT, ['N', 3]);
  const b = g.initializer('b', Float32Array.from([1, 2, 3]), [1, 3]);
  g.output(g.node('Add', [x, b], {}, 'sum'), 'y', OnnxDataType.FLOAT, ['N', 3]);
  return new OnnxCodec().encode({ graph: g.build(), metadata: { resdet: '{"k":1}' } });
}

describe('OnnxCodec', () => {
  it('writes ONNX field numbers: ir_version (1), opset_import (8) with version 17', () => {
    const bytes = addModel();
    // field 1 varint: tag 0x08, value 8
    expect([bytes[0], bytes[1]]).toEqual([0x08, ONNX_IR_VERSION]);
    const m = new OnnxCodec().decode(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(ONNX_OPSET).toBe(17);
    // opset_import is field 8, length-delimited: tag (8 << 3) | 2 = 0x42, then {version (2) = 17} → 0x10 0x11
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toContain('42021011');
    expect(m.metadataProps).toEqual([{ key: 'resdet', value: '{"k":1}' }]);
  });

  it('round-trips graph structure, symbolic dims and raw float data', () => {
    const m = new OnnxCodec().decode(addModel());
    expect(m.graph.node.map((n) => [n.opType, n.input, n.output])).toEqual([
      ['Add', ['x', 'b'], ['sum']],
      ['Identity', ['sum'], ['y']],
    ]);
    expect(m.graph.input[0].type.tensorType.shape.dim.map((d) => d.dimParam || d.dimValue)).toEqual(['N', 3]);
    const init = m.graph.initializer[0];
    expect(init.dims).toEqual([1, 3]);
    expect(Array.from(new Float32Array(Uint8Array.from(init.rawData).buffer))).toEqual([1, 2, 3]);
  });

  it('writes INT, INTS, FLOAT and STRING attributes with their ONNX types', () => {
    const g = new GraphBuilder('attrs');
    const x = g.input('x', OnnxDataType.FLOAT, [1, 1, 4, 4]);
    g.output(
      g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0 }),
      'y',
      OnnxDataType.FLOAT,
      [1, 1, 2, 2],
    );
    g.node('LeakyRelu', [x], { alpha: floatAttr(0.5) });
    const attrs = new OnnxCodec().decode(new OnnxCodec().encode({ graph: g.build() })).graph.node[0]
      .attribute;
    expect(attrs.map((a) => [a.name, a.type])).toEqual([
      ['kernel_shape', 7],
      ['strides', 7],
      ['auto_pad', 3],
      ['ceil_mode', 2],
    ]);
    expect(attrs[0].ints).toEqual([2, 2]);
    expect(() => g.node('Foo', [x], { bad: 0.5 })).toThrow(/floatAttr/);
  });

  it('produces a model onnxruntime-node runs (dynamic batch)', async () => {
    const s = await ort.InferenceSession.create(addModel());
    const out = await s.run({
      x: new ort.Tensor('float32', Float32Array.from([10, 20, 30, 40, 50, 60]), [2, 3]),
    });
    expect(out.y.dims).toEqual([2, 3]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([11, 22, 33, 41, 52, 63]);
    await s.release();
  });
});
