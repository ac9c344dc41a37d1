import { HostTensor, StateDict } from '@resdet/nn';
import { stripKeyPrefix, unwrapStateDict, upgradeTorchvisionKeys } from './torchvision-keys';

const t = (v: number): HostTensor => ({ dtype: 'float32', shape: [1], data: Float32Array.from([v]) });

describe('upgradeTorchvisionKeys', () => {
  it('renames the RPN head conv and FPN blocks like torchvision version-2 hooks, keeping order', () => {
    const sd: StateDict = new Map([
      ['backbone.body.conv1.weight', t(0)],
      ['backbone.fpn.inner_blocks.0.weight', t(1)],
      ['backbone.fpn.inner_blocks.3.bias', t(2)],
      ['backbone.fpn.layer_blocks.1.weight', t(3)],
      ['rpn.head.conv.weight', t(4)],
      ['rpn.head.conv.bias', t(5)],
      ['rpn.head.cls_logits.weight', t(6)],
      ['roi_heads.box_head.fc6.weight', t(7)],
    ]);
    const { stateDict, renamed } = upgradeTorchvisionKeys(sd);
    expect([...stateDict.keys()]).toEqual([
      'backbone.body.conv1.weight',
      'backbone.fpn.inner_blocks.0.0.weight',
      'backbone.fpn.inner_blocks.3.0.bias',
      'backbone.fpn.layer_blocks.1.0.weight',
      'rpn.head.conv.0.0.weight',
      'rpn.head.conv.0.0.bias',
      'rpn.head.cls_logits.weight',
      'roi_heads.box_head.fc6.weight',
    ]);
    expect(stateDict.get('rpn.head.conv.0.0.bias')).toBe(sd.get('rpn.head.conv.bias'));
    expect(renamed).toHaveLength(5);
    expect(renamed[0]).toEqual({
      from: 'backbone.fpn.inner_blocks.0.weight',
      to: 'backbone.fpn.inner_blocks.0.0.weight',
    });
  });

  it('leaves new-style names alone and returns the same map', () => {
    const sd: StateDict = new Map([
      ['rpn.head.conv.0.0.weight', t(1)],
      ['backbone.fpn.layer_blocks.0.0.bias', t(2)],
    ]);
    const r = upgradeTorchvisionKeys(sd);
    expect(r.stateDict).toBe(sd);
    expect(r.renamed).toEqual([]);
  });

  it('works under a wrapper prefix, and the old key wins over a new one (as in torchvision)', () => {
    const sd: StateDict = new Map([
      ['module.rpn.head.conv.0.0.weight', t(1)],
      ['module.rpn.head.conv.weight', t(2)],
    ]);
    const { stateDict } = upgradeTorchvisionKeys(sd);
    expect([...stateDict.keys()]).toEqual(['module.rpn.head.conv.0.0.weight']);
    expect(stateDict.get('module.rpn.head.conv.0.0.weight')!.data[0]).toBe(2);
  });
});

describe('stripKeyPrefix', () => {
  it('removes a DataParallel prefix', () => {
    const sd: StateDict = new Map([
      ['module.fc.weight', t(1)],
      ['other', t(2)],
    ]);
    expect([...stripKeyPrefix(sd, 'module.').keys()]).toEqual(['fc.weight', 'other']);
  });
});

describe('unwrapStateDict', () => {
  it('strips module. and _orig_mod. only when every key has them, as torch does', () => {
    const ddpCompiled: StateDict = new Map([
      ['module._orig_mod.fc.weight', t(1)],
      ['module._orig_mod.fc.bias', t(2)],
    ]);
    const out = unwrapStateDict(ddpCompiled);
    expect([...out.stateDict.keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(out.stripped).toEqual(['module.', '_orig_mod.']);
    const mixed: StateDict = new Map([
      ['module.fc.weight', t(1)],
      ['other', t(2)],
    ]);
    expect(unwrapStateDict(mixed)).toEqual({ stateDict: mixed, stripped: [] });
    expect(unwrapStateDict(new Map()).stripped).toEqual([]);
  });
});
