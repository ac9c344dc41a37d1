/**
 * Jest environment for specs that run onnxruntime-node. Jest runs each test file in its own VM context, so the
 * typed arrays a native addon creates (from Node's main realm) fail `instanceof Float32Array` checks made inside
 * the test's realm (onnxruntime-common's Tensor constructor throws "A float32 tensor's data must be type of
 * Float32Array"). This environment gives the test realm the main realm's typed-array constructors — plain Node
 * has a single realm, so it behaves like production. Use with a docblock at the top of the spec:
 * `@jest-environment ./test/onnx/ort-environment.js`.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
