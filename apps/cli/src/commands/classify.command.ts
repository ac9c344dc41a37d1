import { Command, CommandRunner, Option } from 'nest-commander';
import { readImage } from '@resdet/data';
import { positiveInt } from '../common/model-options';
import { resolveWeightsFlag } from '../common/weights-flag';

interface ClassifyOptions {
  arch: string;
  weights?: string;
  resize: number;
  crop: number;
  json?: boolean;
  backend?: string;
  offline?: boolean;
}

/**
 * `classify --arch resnet50 --weights W [--resize 256 --crop 224] [--json] IMG…`: ImageNet-style
 * classification with a torchvision ResNet checkpoint (.pth zip/legacy, .safetensors). One line per
 * image (or one JSON object per image with --json: `{file, logits, top5}`); logs go to stderr.
 */
@Command({
  name: 'classify',
  arguments: '<images...>',
  description: 'Classify images with a torchvision ResNet (resnet18…resnet152) checkpoint',
})
export class ClassifyCommand extends CommandRunner {
  async run(images: string[], opts: ClassifyOptions): Promise<void> {
    if (!opts.weights)
      throw new Error(
        'classify: --weights is required (a torchvision .pth or .safetensors, or a registry name)',
      );
    const weights = await resolveWeightsFlag(opts.weights, { offline: opts.offline });
    // The tensor libraries load when the command runs, not when the CLI starts.
    const { openClassifier } = await import('@resdet/inference');
    const classifier = await openClassifier({
      arch: opts.arch,
      weights,
      resize: opts.resize,
      crop: opts.crop,
      backend: opts.backend,
      env: process.env,
      log: (m) => process.stderr.write(m + '\n'),
    });
    try {
      for (const file of images) {
        const { logits, top5 } = await classifier.classify(await readImage(file));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file, logits, top5 }) + '\n');
        } else {
          process.stdout.write(
            `${file}: ${top5.map(([i, p]) => `${i} (${(100 * p).toFixed(2)}%)`).join(', ')}\n`,
          );
        }
      }
    } finally {
      classifier.dispose();
    }
  }

  @Option({
    flags: '--arch <name>',
    description: 'resnet18|resnet34|resnet50|resnet101|resnet152 (default resnet50)',
    defaultValue: 'resnet50',
  })
  parseArch(v: string): string {
    return v;
  }

  @Option({
    flags: '--weights <file>',
    description: 'torchvision .pth (zip or legacy, fp32/fp16) or .safetensors',
    required: true,
  })
  parseWeights(v: string): string {
    return v;
  }

  @Option({
    flags: '--resize <n>',
    description: 'short side before the centre crop (default 256)',
    defaultValue: 256,
  })
  parseResize(v: string): number {
    return positiveInt('--resize')(v);
  }

  @Option({ flags: '--crop <n>', description: 'centre crop size (default 224)', defaultValue: 224 })
  parseCrop(v: string): number {
    return positiveInt('--crop')(v);
  }

  @Option({ flags: '--json', description: 'one JSON object per image on stdout: {file, logits, top5}' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--backend <name>', description: 'force a tensor backend (wasm, cpu, …)' })
  parseBackend(v: string): string {
    return v;
  }
}
