import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Linear, ModuleList } from './index';
import { Rng } from '@resdet/random';

describe('ModuleList', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names children 0, 1, … like torch and indexes them', () => {
    const rng = new Rng(1);
    const list = new ModuleList([new Linear(2, 3, { rng }), new Linear(3, 1, { rng })]);
    expect([...list.stateDict().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(list.length).toBe(2);
    expect(list.at(1)).toBe(list.items[1]);
    expect(() => list.at(2)).toThrow(/out of range/);
    list.dispose();
  });
});
