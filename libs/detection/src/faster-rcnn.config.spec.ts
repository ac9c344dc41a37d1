import { ConfigError, FASTER_RCNN_DEFAULTS, resolveConfig } from './faster-rcnn.config';

describe('FasterRcnnConfig', () => {
  it("holds torchvision's fasterrcnn_resnet50_fpn defaults and is frozen", () => {
    expect(FASTER_RCNN_DEFAULTS).toMatchObject({
      numClasses: 91,
      minSize: 800,
      maxSize: 1333,
      sizeDivisible: 32,
      rpnPreNmsTopNTrain: 2000,
      rpnPreNmsTopNTest: 1000,
      rpnPostNmsTopNTrain: 2000,
      rpnPostNmsTopNTest: 1000,
      rpnNmsThresh: 0.7,
      rpnFgIouThresh: 0.7,
      rpnBgIouThresh: 0.3,
      rpnBatchSizePerImage: 256,
      rpnPositiveFraction: 0.5,
      boxRoiPoolOutputSize: 7,
      boxRoiPoolSamplingRatio: 2,
      boxRoiPoolAligned: false,
      boxScoreThresh: 0.05,
      boxNmsThresh: 0.5,
      boxDetectionsPerImg: 100,
      boxBatchSizePerImage: 512,
      boxPositiveFraction: 0.25,
      bboxRegWeights: [10, 10, 5, 5],
      trainableLayers: 3,
      fpnNorm: 'none',
      rpnConvDepth: 1,
      boxHeadConvLayers: [],
      boxHeadNorm: 'none',
    });
    expect(Object.isFrozen(FASTER_RCNN_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(FASTER_RCNN_DEFAULTS.rpnAnchorSizes[0])).toBe(true);
  });

  it('merges overrides without mutating them and returns a frozen copy', () => {
    const over = { numClasses: 21, minSize: 600 };
    const cfg = resolveConfig(over);
    expect(cfg.numClasses).toBe(21);
    expect(cfg.maxSize).toBe(1333);
    expect(over).toEqual({ numClasses: 21, minSize: 600 });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('names the file, field and value in its errors', () => {
    expect(() => resolveConfig({ rpnNmsThresh: 1.5 }, 'configs/x.json')).toThrow(
      'configs/x.json: rpnNmsThresh must be a number in [0, 1], got 1.5',
    );
    expect(() => resolveConfig({ numClasses: 1 })).toThrow(
      /numClasses must be an integer in \[2, ∞\], got 1/,
    );
    expect(() => resolveConfig({ rpnAspectRatios: [[1]] })).toThrow(
      /rpnAspectRatios.*one list per anchor level/,
    );
    expect(() => resolveConfig({ bogus: 1 } as never, 'c.json')).toThrow(/c.json: unknown field "bogus"/);
    expect(() => resolveConfig({ minSize: 1400 })).toThrow(/maxSize must be an integer in \[1400/);
    expect(() => resolveConfig({ rpnBgIouThresh: 0.8 })).toThrow(ConfigError);
    expect(() => resolveConfig({ fpnNorm: 'group' as never })).toThrow(
      'fpnNorm must be "none" or "batch", got "group"',
    );
    expect(() => resolveConfig({ rpnConvDepth: 0 })).toThrow(
      /rpnConvDepth must be an integer in \[1, ∞\], got 0/,
    );
    expect(() => resolveConfig({ boxHeadConvLayers: [256, 0] })).toThrow(
      'boxHeadConvLayers must be a list of positive integers (conv widths; [] for TwoMLPHead), got [256,0]',
    );
  });
});
