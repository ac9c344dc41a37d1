import * as tf from '@tensorflow/tfjs-core';
import { backendCaps, initRuntime, parseBackendName, readTensors, requestedBackend } from './backend';

describe('runtime backend choice', () => {
  it('maps user aliases and rejects unknown names with the valid list', () => {
    expect(parseBackendName('node-gpu')).toBe('tensorflow-gpu');
    expect(parseBackendName('WASM')).toBe('wasm');
    expect(() => parseBackendName('cuda')).toThrow(/valid: .*wasm/);
  });

  it('initialises the forced backend once and keeps it', async () => {
    const logs: string[] = [];
    const b = await initRuntime({ backend: 'wasm', log: (m) => logs.push(m) });
    expect(b).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initRuntime({ backend: 'cpu' })).toBe('wasm');
    expect(logs).toEqual(['resdet: tensor backend wasm']);
  });

  it('takes --backend first, then RESDET_BACKEND from the environment it is given, else auto', () => {
    expect(requestedBackend({ backend: 'cpu', env: { RESDET_BACKEND: 'wasm' } })).toBe('cpu');
    expect(requestedBackend({ env: { RESDET_BACKEND: 'wasm' } })).toBe('wasm');
    expect(requestedBackend({ backend: '', env: {} })).toBeUndefined();
    expect(requestedBackend({})).toBeUndefined();
  });

  it('answers what each backend can do', () => {
    expect(backendCaps('wasm')).toEqual({
      syncReads: true,
      hostMemory: true,
      gpu: false,
      singleThreaded: true,
    });
    expect(backendCaps('tensorflow-gpu')).toEqual({
      syncReads: true,
      hostMemory: false,
      gpu: true,
      singleThreaded: false,
    });
    expect(backendCaps('webgpu')).toEqual({
      syncReads: false,
      hostMemory: false,
      gpu: true,
      singleThreaded: false,
    });
    expect(backendCaps('some-test-backend')).toEqual({
      syncReads: false,
      hostMemory: false,
      gpu: false,
      singleThreaded: false,
    });
  });

  it('readTensors returns the values data() gives', async () => {
    await initRuntime({ backend: 'wasm' });
    const t = tf.tensor1d([1.5, -2, 3]);
    const [v] = await readTensors([t]);
    expect(Array.from(v)).toEqual(Array.from(await t.data()));
    t.dispose();
  });
});
