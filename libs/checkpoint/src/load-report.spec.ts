import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { HostTensor, Module, StateDict, StateDictError } from '@resdet/nn';
import { CheckpointError } from './checkpoint-error';
import { formatLoadReport, formatStateDictError, loadStateDictFromFile } from './load-report';

const h = (shape: number[]): HostTensor => ({
  dtype: 'float32',
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

class Predictor extends Module {
  constructor() {
    super();
    this.registerParameter('weight', tf.zeros([21, 8]));
    this.registerParameter('bias', tf.zeros([21]));
  }
}
class Classifier extends Module {
  readonly fc = this.registerModule('fc', new Predictor());
}

describe('formatStateDictError', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('gives the style-guide line for a predictor shape mismatch', () => {
    const err = new StateDictError(
      'x',
      [],
      [],
      ['roi_heads.box_predictor.cls_score.weight is [91, 1024], model expects [21, 1024]'],
    );
    expect(formatStateDictError(err)).toBe(
      'roi_heads.box_predictor.cls_score.weight is [91, 1024], model expects [21, 1024] (--num-classes?)',
    );
    expect(new CheckpointError(formatStateDictError(err), 'model.pth').message).toBe(
      'checkpoint model.pth: roi_heads.box_predictor.cls_score.weight is [91, 1024], model expects [21, 1024] (--num-classes?)',
    );
  });

  it('lists missing and unexpected keys (capped) with hints', () => {
    const unexpected = Array.from({ length: 12 }, (_, i) => `module.layer${i}.weight`);
    const err = new StateDictError('x', ['conv1.weight'], unexpected, [
      'conv2.weight is [1], model expects [2]',
    ]);
    expect(formatStateDictError(err, { maxKeys: 2 })).toBe(
      [
        'state dict does not fit the model:',
        '  conv2.weight is [1], model expects [2]',
        '  missing keys (1): conv1.weight',
        '  unexpected keys (12): module.layer0.weight, module.layer1.weight, … and 10 more',
        "  hint: every checkpoint key starts with 'module.' (saved from DataParallel); strip that prefix",
      ].join('\n'),
    );
  });

  it('points at old torchvision names and at classification checkpoints', () => {
    const err = new StateDictError(
      'x',
      ['rpn.head.conv.0.0.weight', 'backbone.body.conv1.weight'],
      ['rpn.head.conv.weight', 'layer1.0.conv1.weight'],
    );
    const msg = formatStateDictError(err);
    expect(msg).toMatch(/pre-0\.13 key names/);
    expect(msg).toMatch(/classification ResNet checkpoint/);
    expect(formatStateDictError(err, { strict: false })).not.toMatch(/missing keys/);
  });

  it('formats a load report line', () => {
    expect(formatLoadReport({ missing: ['a'], unexpected: [] }, 'w.pth', 3)).toBe(
      'loaded 3 tensors from w.pth; missing (1): a',
    );
  });
});

describe('loadStateDictFromFile', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('throws a CheckpointError naming the file and both shapes, leaving the model untouched', () => {
    const m = new Classifier();
    const sd: StateDict = new Map([
      ['fc.weight', h([91, 8])],
      ['fc.bias', { dtype: 'float32', shape: [21], data: new Float32Array(21).fill(1) }],
    ]);
    expect(() => loadStateDictFromFile(m, sd, 'coco.pth')).toThrow(
      new CheckpointError('fc.weight is [91, 8], model expects [21, 8] (--num-classes?)', 'coco.pth'),
    );
    expect(m.stateDict().get('fc.bias')!.data[0]).toBe(0);
    m.dispose();
  });

  it('loads a fitting state dict and returns the report', () => {
    const m = new Predictor();
    const r = loadStateDictFromFile(
      m,
      new Map([
        ['weight', h([21, 8])],
        ['bias', h([21])],
        ['extra', h([1])],
      ]),
      'ok.pth',
      { strict: false },
    );
    expect(r).toEqual({ missing: [], unexpected: ['extra'] });
    m.dispose();
  });
});
