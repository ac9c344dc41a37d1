import { promises as fs } from 'fs';
import type { GeneralizedRCNN } from '@resdet/detection';
import { exportFasterRcnn, FasterRcnnOnnx, FasterRcnnOnnxMeta, RESDET_META_KEY } from './export-detector';
import { OnnxCodec } from './onnx-proto';

/** `model.onnx` → `model.box-head.onnx` (the second graph sits beside the first). */
export function boxHeadPath(out: string): string {
  return out.endsWith('.onnx') ? `${out.slice(0, -'.onnx'.length)}.box-head.onnx` : `${out}.box-head.onnx`;
}

/**
 * Exports a detector and writes `out` (backbone + FPN + RPN head) and {@link boxHeadPath}(out) (RoIAlign + box
 * head). Returns both paths, their sizes and the metadata both files carry.
 *
 * @example
 * const { files } = await writeFasterRcnnOnnx(model, 'model.onnx', { arch: 'fasterrcnn_resnet50_fpn', classes });
 */
export async function writeFasterRcnnOnnx(
  model: GeneralizedRCNN,
  out: string,
  info: { arch?: string; classes?: readonly string[] } = {},
): Promise<{ files: { path: string; bytes: number }[]; meta: FasterRcnnOnnxMeta }> {
  const onnx = exportFasterRcnn(model, info);
  const head = boxHeadPath(out);
  await fs.writeFile(out, onnx.backbone);
  await fs.writeFile(head, onnx.boxHead);
  return {
    files: [
      { path: out, bytes: onnx.backbone.length },
      { path: head, bytes: onnx.boxHead.length },
    ],
    meta: onnx.meta,
  };
}

/** Reads the two files {@link writeFasterRcnnOnnx} wrote (for `OrtFasterRcnn.create(model, { onnx })`). */
export async function readFasterRcnnOnnx(path: string): Promise<FasterRcnnOnnx> {
  const backbone = new Uint8Array(await fs.readFile(path));
  const boxHead = new Uint8Array(await fs.readFile(boxHeadPath(path)));
  const decoded = new OnnxCodec().decode(backbone);
  const entry = decoded.metadataProps.find((p) => p.key === RESDET_META_KEY);
  if (!entry)
    throw new Error(`${path}: no metadata_props["${RESDET_META_KEY}"]; not a resdet Faster R-CNN export`);
  const meta = JSON.parse(entry.value) as FasterRcnnOnnxMeta;
  if (meta.format !== 'resdet-faster-rcnn-onnx/1')
    throw new Error(`${path}: unknown resdet ONNX format "${meta.format}"`);
  return { backbone, boxHead, meta };
}
