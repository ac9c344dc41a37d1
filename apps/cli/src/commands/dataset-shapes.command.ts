import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { SHAPE_CLASSES, writeShapesDataset, type ShapeClass, type ShapesOptions } from '@resdet/data';

/** Flags as typed; converted and checked in `run` so that a bad value sets the exit code. */
interface ShapesFlags {
  out?: string;
  format?: string;
  count?: string;
  valCount?: string;
  seed?: string;
  size?: string;
  classes?: string;
  objects?: string;
  objectSize?: string;
  imageFormat?: string;
}

function intFlag(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min)
    throw new Error(`${flag} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

function pairFlag(flag: string, v: string, sep: 'x' | '-'): [number, number] {
  const m = v.split(sep);
  if (m.length !== 2)
    throw new Error(`${flag} must look like A${sep}B (e.g. ${sep === 'x' ? '128x128' : '1-4'}), got "${v}"`);
  return [intFlag(flag, m[0], 1), intFlag(flag, m[1], 1)];
}

function choice<T extends string>(flag: string, v: string | undefined, valid: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(valid as readonly string[]).includes(v))
    throw new Error(`${flag} must be one of ${valid.join(', ')}, got "${v}"`);
  return v as T;
}

function shapesOptions(f: ShapesFlags): Partial<ShapesOptions> {
  const shapes: Partial<ShapesOptions> = {};
  if (f.size) [shapes.width, shapes.height] = pairFlag('--size', f.size, 'x');
  if (f.classes) {
    const list = f.classes
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const c of list) {
      if (!(SHAPE_CLASSES as readonly string[]).includes(c))
        throw new Error(`--classes: unknown class "${c}"; valid: ${SHAPE_CLASSES.join(', ')}`);
    }
    shapes.classes = list as ShapeClass[];
  }
  if (f.objects) [shapes.minObjects, shapes.maxObjects] = pairFlag('--objects', f.objects, '-');
  if (f.objectSize)
    [shapes.minObjectSize, shapes.maxObjectSize] = pairFlag('--object-size', f.objectSize, '-');
  return shapes;
}

/** `dataset shapes`: writes the generated shapes detection dataset as a COCO or VOC tree. */
@SubCommand({
  name: 'shapes',
  description: 'Generate a shapes detection dataset (COCO-2017 or VOC2007 layout)',
})
export class DatasetShapesCommand extends CommandRunner {
  async run(_args: string[], f: ShapesFlags): Promise<void> {
    try {
      await this.generate(f);
    } catch (e) {
      process.stderr.write(`error: dataset shapes: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  }

  private async generate(f: ShapesFlags): Promise<void> {
    if (!f.out) throw new Error('--out DIR is required');
    const started = Date.now();
    const summary = await writeShapesDataset({
      out: f.out,
      format: choice('--format', f.format, ['coco', 'voc'] as const, 'coco'),
      count: f.count === undefined ? 1000 : intFlag('--count', f.count, 0),
      valCount: f.valCount === undefined ? 200 : intFlag('--val-count', f.valCount, 0),
      seed: f.seed === undefined ? 0 : intFlag('--seed', f.seed, 0),
      shapes: shapesOptions(f),
      imageFormat: choice('--image-format', f.imageFormat, ['jpg', 'png'] as const, 'jpg'),
      onProgress: (done, total) => {
        if (done === total || done % 500 === 0) process.stderr.write(`shapes: ${done}/${total} images\n`);
      },
    });
    for (const s of summary.splits) {
      process.stdout.write(`${s.split}: ${s.images} images, ${s.objects} objects -> ${s.annotation}\n`);
    }
    process.stdout.write(`classes: ${summary.classes.join(', ')}\n`);
    process.stderr.write(
      `shapes: wrote ${summary.root} (${summary.format}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }

  @Option({ flags: '--out <dir>', description: 'output folder', required: true })
  parseOut(v: string): string {
    return v;
  }

  @Option({ flags: '--format <coco|voc>', description: 'tree layout (default coco)' })
  parseFormat(v: string): string {
    return v;
  }

  @Option({ flags: '--count <n>', description: 'training images (default 1000)' })
  parseCount(v: string): string {
    return v;
  }

  @Option({ flags: '--val-count <n>', description: 'validation images (default 200)' })
  parseValCount(v: string): string {
    return v;
  }

  @Option({ flags: '--seed <n>', description: 'random seed (default 0)' })
  parseSeed(v: string): string {
    return v;
  }

  @Option({ flags: '--size <WxH>', description: 'image size (default 128x128)' })
  parseSize(v: string): string {
    return v;
  }

  @Option({
    flags: '--classes <list>',
    description: `comma-separated classes from ${SHAPE_CLASSES.join(',')} (default circle,cross,square,triangle)`,
  })
  parseClasses(v: string): string {
    return v;
  }

  @Option({ flags: '--objects <min-max>', description: 'objects per image (default 1-4)' })
  parseObjects(v: string): string {
    return v;
  }

  @Option({
    flags: '--object-size <min-max>',
    description: 'object size in pixels (default 1/8 to 1/2 of the short side)',
  })
  parseObjectSize(v: string): string {
    return v;
  }

  @Option({ flags: '--image-format <jpg|png>', description: 'image files (default jpg)' })
  parseImageFormat(v: string): string {
    return v;
  }
}
