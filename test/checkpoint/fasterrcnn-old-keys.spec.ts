/**
 * torchvision's published COCO Faster R-CNN weights are a legacy-format file with pre-0.13 key names.
 * The fixture (tools/checkpoint/make_fixtures.py, torch 1.13 / torchvision 0.14) holds every
 * fasterrcnn_resnet50_fpn key under its old name — verified there by torchvision's own load_state_dict —
 * with a 1-element tensor equal to the key's index. After loadWeights the key list must equal today's
 * torchvision keys, in order, and each tensor must still hold its own index.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadWeights, readWeightsFile } from '@resdet/checkpoint';

const DIR = path.join(__dirname, '..', 'fixtures', 'checkpoint');
const { fasterrcnn_old_keys: want } = JSON.parse(
  fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8'),
) as {
  fasterrcnn_old_keys: { old_keys: string[]; new_keys: string[] };
};

describe('old torchvision Faster R-CNN key names (legacy file)', () => {
  const file = path.join(DIR, 'fasterrcnn-old-keys-legacy.pth');

  it('reads the old names as stored', () => {
    const raw = readWeightsFile(file);
    expect(raw.format).toBe('torch-legacy');
    expect([...raw.stateDict.keys()]).toEqual(want.old_keys);
    expect(want.old_keys).toContain('rpn.head.conv.weight');
    expect(want.old_keys).toContain('backbone.fpn.layer_blocks.3.bias');
  });

  it('upgrades them to exactly today’s keys, each tensor keeping its value', () => {
    const w = loadWeights(file);
    expect([...w.stateDict.keys()]).toEqual(want.new_keys);
    expect(w.renamed.map((r) => r.to)).toEqual([
      ...[0, 1, 2, 3].flatMap((i) => [
        `backbone.fpn.inner_blocks.${i}.0.weight`,
        `backbone.fpn.inner_blocks.${i}.0.bias`,
      ]),
      ...[0, 1, 2, 3].flatMap((i) => [
        `backbone.fpn.layer_blocks.${i}.0.weight`,
        `backbone.fpn.layer_blocks.${i}.0.bias`,
      ]),
      'rpn.head.conv.0.0.weight',
      'rpn.head.conv.0.0.bias',
    ]);
    want.new_keys.forEach((k, i) => expect([k, w.stateDict.get(k)!.data[0]]).toEqual([k, i]));
  });
});
