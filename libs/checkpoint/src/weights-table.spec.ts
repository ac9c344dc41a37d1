import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TORCHVISION_WEIGHTS, findKnownWeights, hashPrefixOfName, sha256Prefix } from './weights-table';

describe('weights table', () => {
  it('records overwrite_eps(0) and old key names for the COCO Faster R-CNN weights', () => {
    const w = findKnownWeights('/downloads/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth')!;
    expect(w.torchvisionName).toBe('FasterRCNN_ResNet50_FPN_Weights.COCO_V1');
    expect(w.quirks).toEqual({ frozenBnEps: 0, oldKeyNames: true });
    expect(w.numClasses).toBe(91);
    // the v2 COCO weights need nothing: BatchNorm2d with eps 1e-5, today's key names
    const v2 = findKnownWeights('fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth')!;
    expect([v2.arch, v2.numClasses, v2.quirks]).toEqual(['fasterrcnn_resnet50_fpn_v2', 91, {}]);
  });

  it('pairs ImageNet V2 weights with resize 232', () => {
    expect(findKnownWeights('resnet50-11ad3fa6.pth')!.quirks).toEqual({ evalResize: 232, evalCrop: 224 });
    expect(findKnownWeights('resnet18-f37072fd.pth')!.quirks.evalResize).toBe(256);
    expect(findKnownWeights('my-model.pth')).toBeUndefined();
    expect(new Set(TORCHVISION_WEIGHTS.map((w) => hashPrefixOfName(w.file))).size).toBe(
      TORCHVISION_WEIGHTS.length,
    );
  });

  it('hashes file content like torchvision (sha256 prefix) to recognise renamed copies', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wt-'));
    const f = path.join(dir, 'abc.pth');
    fs.writeFileSync(f, 'abc');
    // sha256("abc") = ba7816bf8f01cfea…
    expect(sha256Prefix(f)).toBe('ba7816bf');
    expect(findKnownWeights(f, { byContent: true })).toBeUndefined();
    fs.rmSync(dir, { recursive: true });
  });
});
