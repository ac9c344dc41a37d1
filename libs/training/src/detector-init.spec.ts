import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDetector } from '@resdet/detection';
import type { LoadedWeights } from '@resdet/checkpoint';
import type { StateDict } from '@resdet/nn';
import { initRuntime } from '@resdet/runtime';
import { PREDICTOR_KEYS } from './class-transfer';
import { describeDetectorInit, initFromDetector, sourceClassNames } from './detector-init';

const ARCH = 'fasterrcnn_shapes_demo';
const SOURCE_CLASSES = ['__background__', 'circle', 'cross', 'square', 'triangle'];
// One class the source lacks (star), one source class missing (cross), another order.
const TARGET_CLASSES = ['__background__', 'circle', 'square', 'star', 'triangle'];

function weights(sd: StateDict, classes?: string[]): LoadedWeights {
  return { format: 'resdet', stateDict: sd, file: 'source.safetensors', meta: { classes }, renamed: [] };
}

/** Row `i` of a [K·rowsPerClass, F] (or [K·rowsPerClass]) tensor's class block. */
function classRows(sd: StateDict, key: string, i: number): number[] {
  const t = sd.get(key)!;
  const perClass = (key.includes('bbox_pred') ? 4 : 1) * (t.shape[1] ?? 1);
  return Array.from((t.data as Float32Array).subarray(i * perClass, (i + 1) * perClass));
}

type Values = Float32Array | Int32Array | BigInt64Array | Uint8Array;
/** Exact (bitwise) equality of two typed arrays, without jest's slow element-by-element diff. */
function sameBits(a: Values | number[], b: Values | number[]): boolean {
  const bytes = (x: Values | number[]) => {
    const t = Array.isArray(x) ? Float32Array.from(x) : x;
    return Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  };
  return bytes(a).equals(bytes(b));
}

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

describe('initFromDetector', () => {
  let source: StateDict;
  beforeAll(() => {
    const m = buildDetector(ARCH, { numClasses: 5, seed: 1 });
    source = m.stateDict();
    m.dispose();
  });

  it('at step 0: carried rows equal the source rows exactly, new rows are the fresh init, dropped rows are gone', () => {
    const model = buildDetector(ARCH, { numClasses: 5, seed: 2 });
    const fresh = model.stateDict();
    const report = initFromDetector(
      model,
      weights(source, SOURCE_CLASSES),
      TARGET_CLASSES,
      SOURCE_CLASSES,
      'checkpoint',
    );
    const after = model.stateDict();
    model.dispose();

    const predictor = new Set<string>(Object.values(PREDICTOR_KEYS));
    const differ = [...source].filter(([k, v]) => !predictor.has(k) && !sameBits(after.get(k)!.data, v.data));
    expect(differ.map(([k]) => k)).toEqual([]);
    const sourceIndex = [0, 1, 3, null, 4]; // target label → source label (star is new)
    for (const key of predictor) {
      sourceIndex.forEach((s, j) => {
        const want = s === null ? classRows(fresh, key, j) : classRows(source, key, s);
        expect({ key, j, same: sameBits(classRows(after, key, j), want) }).toEqual({ key, j, same: true });
      });
      // The dropped class (cross, source label 2) is in no target row.
      const cross = classRows(source, key, 2);
      for (let j = 0; j < 5; j++) expect(sameBits(classRows(after, key, j), cross)).toBe(false);
    }
    expect(report).toMatchObject({
      carried: ['circle', 'square', 'triangle'],
      added: ['star'],
      dropped: ['cross'],
      loaded: source.size - 4,
      rebuilt: Object.values(PREDICTOR_KEYS),
      keptFresh: [],
      ignored: [],
    });
    const log = describeDetectorInit(report).join('\n');
    expect(log).toContain(
      `initialised from source.safetensors: ${source.size - 4} tensors loaded as they are`,
    );
    expect(log).toContain('carried 3 class(es) + background: circle, square, triangle');
    expect(log).toContain('new 1 class(es), freshly initialised: star');
    expect(log).toContain('dropped 1 source class(es): cross');
    expect(log).toContain(
      're-initialised: the rows of the new classes in roi_heads.box_predictor.cls_score.weight',
    );
  });

  it('without names and with another class count: an error that says to pass --from-classes; nothing loaded', async () => {
    const model = buildDetector(ARCH, { numClasses: 4, seed: 2 });
    const before = model.stateDict().get('backbone.body.conv1.weight')!.data;
    const w = weights(source);
    const { names, from } = await sourceClassNames(w);
    expect({ names, from }).toEqual({ names: undefined, from: 'none' });
    expect(() => initFromDetector(model, w, ['__background__', 'a', 'b', 'c'], names, from)).toThrow(
      /source.safetensors: its predictor has 5 classes \(background included\) and no class names, the dataset has 4; pass --from-classes FILE/,
    );
    expect(
      sameBits(
        model.stateDict().get('backbone.body.conv1.weight')!.data as Float32Array,
        before as Float32Array,
      ),
    ).toBe(true);
    model.dispose();
  });

  it('a source of another architecture is an error naming the file', () => {
    const model = buildDetector(ARCH, { numClasses: 5, representationSize: 128 });
    expect(() =>
      initFromDetector(model, weights(source, SOURCE_CLASSES), TARGET_CLASSES, SOURCE_CLASSES, 'checkpoint'),
    ).toThrow(
      /source.safetensors: roi_heads.box_predictor.cls_score.weight is \[5,256\], the model's is \[5,128\]/,
    );
    model.dispose();
  });
});

describe('sourceClassNames', () => {
  const predictorOf = (k: number): StateDict =>
    new Map([[PREDICTOR_KEYS.clsWeight, { dtype: 'float32', shape: [k, 1], data: new Float32Array(k) }]]);

  it("takes --from-classes (background line optional), the checkpoint's names, or COCO's for 91 classes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-from-classes-'));
    try {
      const file = path.join(dir, 'names.txt');
      fs.writeFileSync(file, 'a\nb\n');
      const w = weights(predictorOf(3), ['bg', 'x', 'y']);
      expect(await sourceClassNames(w, file)).toEqual({
        names: ['__background__', 'a', 'b'],
        from: 'from-classes',
      });
      expect(await sourceClassNames(w)).toEqual({ names: ['bg', 'x', 'y'], from: 'checkpoint' });
      await expect(sourceClassNames(weights(predictorOf(5)), file)).rejects.toThrow(
        `${file}: 2 names, but source.safetensors has 5 classes (background first)`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const coco = await sourceClassNames(weights(predictorOf(91)));
    expect(coco.from).toBe('coco');
    expect(coco.names!.slice(0, 3)).toEqual(['__background__', 'person', 'bicycle']);
    expect(coco.names![12]).toBe('N/A');
    expect(coco.names![90]).toBe('toothbrush');
  });
});
