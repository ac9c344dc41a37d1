import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  generatedCheckpoint,
  startWeightsServer,
  type WeightsServer,
} from '../../libs/weights/src/weights-server.testing';
import { spawnCli } from '@resdet/testing';

/** `resdet weights list|pull` and `--weights NAME --offline`, against a loopback server and a temporary cache. */
describe('resdet weights', () => {
  const ckpt = generatedCheckpoint('user-model', 32 * 1024, 3);
  let server: WeightsServer;
  let home: string;
  let env: NodeJS.ProcessEnv;

  const run = async (args: string[]) => {
    const p = spawnCli(args, { env });
    const code = await p.exited;
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  };

  beforeAll(async () => {
    server = await startWeightsServer({ [`/w/${ckpt.file}`]: { bytes: ckpt.bytes } });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-cli-weights-'));
    fs.writeFileSync(path.join(home, 'local.safetensors'), 'not really');
    fs.writeFileSync(
      path.join(home, 'registry.json'),
      JSON.stringify({
        weights: [
          {
            name: 'user-model',
            url: `${server.base}/w/${ckpt.file}`,
            arch: 'resnet18',
            numClasses: 10,
            license: 'CC-BY-4.0',
          },
          { name: 'gone', url: `${server.base}/w/gone-0123abcd.pth` },
          { name: 'mine', path: 'local.safetensors', sha256: 'b'.repeat(64), numClasses: 3 },
        ],
      }),
    );
    env = { RESDET_HOME: path.join(home, 'cache'), RESDET_REGISTRY: path.join(home, 'registry.json') };
    const cached = path.join(home, 'cache', 'weights', 'resnet18-f37072fd.pth');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(cached, 'x');
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('list: one row per name with arch, classes, size, source, license and whether it is here', async () => {
    const r = await run(['weights', 'list']);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'ARCH', 'CLASSES', 'SIZE', 'SOURCE', 'LICENSE', 'CACHED']);
    const row = (name: string) => rows.find((x) => x[0] === name);
    expect(row('resnet18')).toEqual([
      'resnet18',
      'resnet18',
      '1000',
      '44.7 MiB',
      'torchvision ResNet18_Weights.IMAGENET1K_V1',
      'BSD-3-Clause (torchvision)',
      'yes',
    ]);
    expect(row('fasterrcnn_resnet50_fpn_v2')?.slice(1, 3)).toEqual(['fasterrcnn_resnet50_fpn_v2', '91']);
    expect(row('fasterrcnn_resnet50_fpn_v2')?.[6]).toBe('no');
    expect(row('shapes-demo')?.[6]).toBe('local');
    expect(row('user-model')).toEqual([
      'user-model',
      'resnet18',
      '10',
      '?',
      `127.0.0.1:${server.base.split(':')[2]}`,
      'CC-BY-4.0',
      'no',
    ]);
    expect(r.stderr).toContain(`cache: ${path.join(home, 'cache', 'weights')}`);

    const json = JSON.parse((await run(['weights', 'list', '--json'])).stdout);
    expect(json.find((e: { name: string }) => e.name === 'fasterrcnn_resnet50_fpn')).toMatchObject({
      url: 'https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth',
      prefix: '258fb6c6',
      numClasses: 91,
      cached: 'no',
    });
  });

  it('pull: downloads into the cache and prints the path; a 404 exits 1 with one error line', async () => {
    const ok = await run(['weights', 'pull', 'user-model']);
    expect(ok.code).toBe(0);
    const file = path.join(home, 'cache', 'weights', ckpt.file);
    expect(ok.stdout).toBe(`${file}\n`);
    expect(fs.readFileSync(file).equals(ckpt.bytes)).toBe(true);

    const bad = await run(['weights', 'pull', 'gone']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: weights pull gone: .*gone-0123abcd\.pth: HTTP 404/m);
  });

  it('detect --weights shapes-demo --offline runs the committed demo model (a local entry, no download)', async () => {
    const image = path.join(__dirname, '..', 'fixtures', 'detection', 'r50-fpn-coco-name', 'image0.png');
    const r = await run(['detect', '--weights', 'shapes-demo', '--offline', '--engine', 'tfjs', image]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/loaded \d+ tensors from .*test\/fixtures\/models\/shapes-demo\.safetensors/);
    expect(r.stderr).toMatch(/detect: 1 processed, 0 skipped/);
  });

  it('--weights NAME --offline fails before loading a model when the name is not cached', async () => {
    const r = await run(['detect', '--offline', '--weights', 'fasterrcnn_resnet50_fpn', 'photos/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: weights "fasterrcnn_resnet50_fpn" are not in the cache .*--offline.*resdet weights pull fasterrcnn_resnet50_fpn/,
    );
    expect(server.requests.filter((q) => q.path.includes('fasterrcnn'))).toEqual([]);
  });
});
