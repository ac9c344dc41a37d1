import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, parseBackendName } from './backend';

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
});
