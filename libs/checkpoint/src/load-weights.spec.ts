import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadWeights } from './load-weights';
import { saveCheckpoint } from './resdet-checkpoint';
import { writeSafetensors } from './safetensors';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'checkpoint');

describe('loadWeights', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('upgrades old torchvision names in a legacy .pth', () => {
    const w = loadWeights(path.join(FIXTURES, 'old-fasterrcnn-names-legacy.pth'));
    expect(w.format).toBe('torch-legacy');
    expect([...w.stateDict.keys()]).toContain('rpn.head.conv.0.0.weight');
    expect([...w.stateDict.keys()]).toContain('backbone.fpn.layer_blocks.0.0.bias');
    expect(w.renamed).toHaveLength(6);
    expect(w.meta).toBeUndefined();
  });

  it('reads a resdet checkpoint by base, .json or .safetensors, with its sidecar', () => {
    const base = path.join(dir, 'ck');
    const model = new Map([
      ['fc.bias', { dtype: 'float32' as const, shape: [1], data: Float32Array.from([2]) }],
    ]);
    saveCheckpoint(base, { model, meta: { arch: 'resnet18', classes: ['a'] } });
    for (const p of [base, `${base}.json`, `${base}.safetensors`]) {
      const w = loadWeights(p);
      expect(w.format).toBe('resdet');
      expect(w.meta!.arch).toBe('resnet18');
      expect(w.stateDict.get('fc.bias')!.data).toEqual(Float32Array.from([2]));
    }
  });

  it('reads plain safetensors and names missing files', () => {
    const f = path.join(dir, 'plain.safetensors');
    writeSafetensors(f, new Map([['x', { dtype: 'float16', shape: [1], data: Float32Array.from([0.5]) }]]));
    expect(loadWeights(f).format).toBe('safetensors');
    expect(() => loadWeights(path.join(dir, 'missing.pth'))).toThrow(/missing\.pth: no such file/);
  });
});
