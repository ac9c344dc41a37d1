import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TORCHVISION_WEIGHTS } from '@resdet/checkpoint';
import { resdetHome } from './cache-dir';
import { builtinRegistry, entryUrl, expectedHashOf, findEntry, loadRegistry } from './registry';
import { hashPrefixOfFileName } from './verify';

describe('weights registry', () => {
  const builtin = builtinRegistry('/opt/resdet');

  it('lists torchvision ResNet-18…152 and both COCO R50-FPNs at download.pytorch.org, and the local demo model', () => {
    const names = builtin.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining(['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152']),
    );
    expect(names).toEqual(
      expect.arrayContaining(['fasterrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2', 'shapes-demo']),
    );
    expect(new Set(names).size).toBe(names.length);
    for (const e of builtin.filter((x) => x.url)) {
      expect(e.url).toBe(`https://download.pytorch.org/models/${e.file}`);
      expect(expectedHashOf(e).prefix).toMatch(/^[0-9a-f]{8}$/);
    }
    expect(findEntry(builtin, 'fasterrcnn_resnet50_fpn_v2').file).toBe(
      'fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth',
    );
    expect(findEntry(builtin, 'shapes-demo').path).toBe(
      '/opt/resdet/test/fixtures/models/shapes-demo.safetensors',
    );
  });

  it("agrees with @resdet/checkpoint's torchvision weights table on arch and classes", () => {
    for (const known of TORCHVISION_WEIGHTS) {
      const e = builtin.find((x) => x.file === known.file);
      expect(e).toBeDefined();
      expect([e!.arch, e!.numClasses]).toEqual([known.arch, known.numClasses]);
    }
  });

  it('RESDET_WEIGHTS_MIRROR keeps the path and replaces scheme and host', () => {
    const e = findEntry(builtin, 'resnet50');
    expect(entryUrl(e, {})).toBe('https://download.pytorch.org/models/resnet50-0676ba61.pth');
    expect(entryUrl(e, { RESDET_WEIGHTS_MIRROR: 'http://10.0.0.2:8080/pytorch/' })).toBe(
      'http://10.0.0.2:8080/pytorch/models/resnet50-0676ba61.pth',
    );
  });

  it('hash prefixes come from published names only', () => {
    expect(hashPrefixOfFileName('resnet18-f37072fd.pth')).toBe('f37072fd');
    expect(hashPrefixOfFileName('/x/fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth')).toBe('dd69338a');
    expect(hashPrefixOfFileName('model.safetensors')).toBeUndefined();
    expect(hashPrefixOfFileName('my-model.pth')).toBeUndefined();
  });

  it('cache root: RESDET_HOME, else $XDG_CACHE_HOME/resdet (absolute only), else ~/.cache/resdet', () => {
    expect(resdetHome({ RESDET_HOME: '/data/r', XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe('/data/r');
    expect(resdetHome({ XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe('/xdg/resdet');
    expect(resdetHome({ XDG_CACHE_HOME: 'rel' }, '/home/u')).toBe('/home/u/.cache/resdet');
    expect(resdetHome({}, '/home/u')).toBe('/home/u/.cache/resdet');
  });

  describe('user registry (RESDET_REGISTRY)', () => {
    let dir: string;
    const write = (body: unknown) => {
      const file = path.join(dir, 'reg.json');
      fs.writeFileSync(file, JSON.stringify(body));
      return { RESDET_REGISTRY: file };
    };
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-reg-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('adds entries (paths relative to the file) and may replace a built-in one', () => {
      const sha = 'a'.repeat(64);
      const reg = loadRegistry(
        write({
          weights: [
            { name: 'mine', path: 'models/m.safetensors', sha256: sha, numClasses: 3 },
            { name: 'resnet18', url: 'https://example.com/r18.pth', sha256: sha },
          ],
        }),
        '/opt/resdet',
      );
      expect(findEntry(reg, 'mine')).toMatchObject({
        path: path.join(dir, 'models/m.safetensors'),
        file: 'm.safetensors',
      });
      expect(findEntry(reg, 'resnet18')).toMatchObject({
        url: 'https://example.com/r18.pth',
        file: 'r18.pth',
        sha256: sha,
      });
      expect(reg.length).toBe(builtin.length + 1);
    });

    it('rejects entries without a way to verify them, or with both or neither of url and path', () => {
      expect(() => loadRegistry(write([{ name: 'x', url: 'https://e.com/x.pth' }]), '/')).toThrow(
        /reg\.json: entry 0 \(x\): "sha256" is required/,
      );
      expect(() => loadRegistry(write([{ name: 'x', sha256: 'a'.repeat(64) }]), '/')).toThrow(
        /exactly one of "url" and "path"/,
      );
      expect(() => loadRegistry(write([{ name: '../x', path: 'x', sha256: 'a'.repeat(64) }]), '/')).toThrow(
        /"name" must be letters/,
      );
      // A torchvision-style name carries its own check.
      expect(
        loadRegistry(write([{ name: 'x', url: 'https://e.com/x-0123abcd.pth' }]), '/').pop(),
      ).toMatchObject({
        file: 'x-0123abcd.pth',
      });
    });
  });
});
