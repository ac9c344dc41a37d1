import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pullWeights } from './pull-weights';
import { findEntry, loadRegistry } from './registry';
import { resolveWeights } from './resolve-weights';
import { generatedCheckpoint, startWeightsServer, type WeightsServer } from './weights-server.testing';

describe('resolveWeights', () => {
  const ckpt = generatedCheckpoint('user-model', 64 * 1024, 7);
  let server: WeightsServer;
  let home: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Also served at torchvision's path, with bytes that do not hash to its published prefix.
    server = await startWeightsServer({
      [`/files/${ckpt.file}`]: { bytes: ckpt.bytes },
      '/models/resnet18-f37072fd.pth': { bytes: ckpt.bytes },
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-home-'));
    const registry = path.join(home, 'registry.json');
    fs.writeFileSync(
      registry,
      JSON.stringify({
        weights: [
          {
            name: 'user-model',
            url: `${server.base}/files/${ckpt.file}`,
            sha256: ckpt.sha256,
            arch: 'resnet18',
          },
        ],
      }),
    );
    env = { RESDET_HOME: path.join(home, 'cache'), RESDET_REGISTRY: registry };
    server.requests.length = 0;
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('downloads a registry name into the cache once, then answers from the cache', async () => {
    const file = await resolveWeights('user-model', { env });
    expect(file).toBe(path.join(home, 'cache', 'weights', ckpt.file));
    expect(fs.readFileSync(file).equals(ckpt.bytes)).toBe(true);
    expect(await resolveWeights('user-model', { env })).toBe(file);
    expect(server.requests).toHaveLength(1);
  });

  it('two processes-worth of concurrent pulls download the file once', async () => {
    const entry = findEntry(loadRegistry(env, os.tmpdir()), 'user-model');
    const [a, b] = await Promise.all([pullWeights(entry, { env }), pullWeights(entry, { env })]);
    expect(a).toBe(b);
    expect(server.requests).toHaveLength(1);
  });

  it('RESDET_WEIGHTS_MIRROR replaces the host; a file that fails the name prefix is deleted with an error', async () => {
    const err = await resolveWeights('resnet18', {
      env: { ...env, RESDET_WEIGHTS_MIRROR: `${server.base}/` },
    }).catch((e: Error) => e);
    expect(server.requests).toEqual([{ path: '/models/resnet18-f37072fd.pth', range: undefined }]);
    expect((err as Error).message).toMatch(
      /resnet18-f37072fd\.pth: sha256 is [0-9a-f]{64}, expected f37072fd…/,
    );
    expect(fs.readdirSync(path.join(home, 'cache', 'weights'))).toEqual([]);
  });

  it('--offline uses the cache only and says how to fill it when the file is missing', async () => {
    await expect(resolveWeights('resnet18', { env, offline: true })).rejects.toThrow(
      /"resnet18" are not in the cache .*--offline.*resdet weights pull resnet18/,
    );
    expect(server.requests).toEqual([]);
    const cached = path.join(home, 'cache', 'weights', 'resnet18-f37072fd.pth');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(cached, 'x');
    expect(await resolveWeights('resnet18', { env, offline: true })).toBe(cached);
  });

  it('an existing path is used as it is; an unknown name lists the registry names', async () => {
    const file = path.join(home, 'mine.safetensors');
    fs.writeFileSync(file, 'x');
    expect(await resolveWeights(file, { env })).toBe(file);
    await expect(resolveWeights('resnet19', { env, flag: '--from' })).rejects.toThrow(
      /--from resnet19: neither a file nor a registry name \(registry names: resnet18, .*user-model/,
    );
    await expect(resolveWeights('runs/x/model.safetensors', { env })).rejects.toThrow(
      /--weights runs.*: no such file/,
    );
  });

  it('shapes-demo is the committed fixture, checked against its full sha256', async () => {
    const file = await resolveWeights('shapes-demo', { env });
    expect(file).toMatch(/test\/fixtures\/models\/shapes-demo\.safetensors$/);
    expect(fs.existsSync(file.replace(/\.safetensors$/, '.json'))).toBe(true);
    expect(server.requests).toEqual([]);
  });
});
