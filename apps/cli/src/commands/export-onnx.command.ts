import { Command, Option } from 'nest-commander';
import { ModelCommand, resolvedDetectorOptions, type ModelFlags } from '../common/model-options';

interface ExportOnnxFlags extends ModelFlags {
  out: string;
}

/**
 * `export-onnx [model flags] --out model.onnx`: writes the detector's dense parts as ONNX (opset 17, dynamic
 * image size, BatchNorm folded): `model.onnx` (backbone + FPN + RPN head) and `model.box-head.onnx` (RoIAlign +
 * box head + predictor), from the same model `detect` loads (torchvision .pth, .safetensors, resdet checkpoint).
 */
@Command({
  name: 'export-onnx',
  description:
    'Export a detector to ONNX: <out> (backbone+FPN+RPN head) and <out>.box-head.onnx (RoI box head)',
})
export class ExportOnnxCommand extends ModelCommand {
  async run(_args: string[], flags: ExportOnnxFlags): Promise<void> {
    if (!flags.out) throw new Error('export-onnx: --out <file.onnx> is required');
    const model = await resolvedDetectorOptions(flags);
    const { exportDetectorOnnx } = await import('@resdet/inference');
    const { files, meta, arch } = await exportDetectorOnnx(model, flags.out);
    for (const f of files) process.stdout.write(`${f.path} (${(f.bytes / 2 ** 20).toFixed(1)} MiB)\n`);
    process.stderr.write(
      `export-onnx: ${arch}, ${meta.numClasses} classes, features [${meta.featureNames.join(', ')}], ` +
        `RoIAlign ${meta.roiOutputSize.join('×')} from [${meta.pooledFeatureNames.join(', ')}]\n`,
    );
  }

  @Option({
    flags: '--out <file>',
    description: 'output .onnx path (the box head goes to <out>.box-head.onnx)',
    required: true,
  })
  parseOut(v: string): string {
    return v;
  }
}
