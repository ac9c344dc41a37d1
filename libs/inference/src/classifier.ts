import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';
import { readStateDict } from '@resdet/checkpoint';
import { buildResNet, preprocessForClassification, topK, type ResNet, type RgbPixels } from '@resdet/resnet';

export interface OpenClassifierOptions {
  /** A torchvision ImageNet ResNet name (`resnet18` … `resnet152`, ResNeXt/Wide variants). */
  arch: string;
  /** torchvision checkpoint: .pth (zip or legacy, fp32/fp16) or .safetensors. */
  weights: string;
  /** Short side before the centre crop (default 256). */
  resize?: number;
  /** Centre crop size (default 224). */
  crop?: number;
  /** Force a tensor backend; otherwise `RESDET_BACKEND` from `env`, otherwise the runtime's choice. */
  backend?: string;
  env?: Record<string, string | undefined>;
  log?: (msg: string) => void;
}

/** One image's class logits and its five most likely classes as `[class index, probability]`. */
export interface Classification {
  logits: number[];
  top5: [number, number][];
}

/**
 * Opens a torchvision ResNet checkpoint for ImageNet-style classification: the class count comes from the
 * checkpoint's `fc.weight`, so fine-tuned heads load too. The caller disposes the classifier.
 *
 * @example
 * const clf = await openClassifier({ arch: 'resnet50', weights: 'resnet50.pth' });
 * const { top5 } = await clf.classify(await readImage('dog.jpg'));
 * clf.dispose();
 */
export async function openClassifier(opts: OpenClassifierOptions): Promise<Classifier> {
  await initRuntime({ backend: opts.backend, env: opts.env, log: opts.log });
  const sd = readStateDict(opts.weights);
  const numClasses = sd.get('fc.weight')?.shape[0] ?? 1000;
  const model = buildResNet(opts.arch, { numClasses, skipInit: true });
  try {
    model.loadStateDict(sd);
  } catch (e) {
    model.dispose();
    throw new Error(`checkpoint ${opts.weights} (--arch ${opts.arch}): ${(e as Error).message}`);
  }
  model.eval();
  return new Classifier(model, { resize: opts.resize ?? 256, crop: opts.crop ?? 224 });
}

/** A loaded ResNet in eval mode with its preprocessing; get one from {@link openClassifier}. */
export class Classifier {
  constructor(
    private readonly model: ResNet,
    private readonly preprocess: { resize: number; crop: number },
  ) {}

  async classify(image: RgbPixels): Promise<Classification> {
    const out = tf.tidy(() => this.model.forward(preprocessForClassification(image, this.preprocess)));
    try {
      const logits = Array.from(await out.data());
      return { logits, top5: topK(logits, 5) };
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
