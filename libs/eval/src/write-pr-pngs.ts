import { promises as fs } from 'fs';
import * as path from 'path';
import { NamedPrPlot } from './pr-curves';
import { prCurveSvg } from './pr-curve-svg';

/**
 * Rasterises PR plots to PNG files in `dir` (created if missing) with sharp, loaded only here so that
 * evaluation without plots never loads it.
 * @returns the written file paths
 */
export async function writePrCurvePngs(plots: readonly NamedPrPlot[], dir: string): Promise<string[]> {
  const { default: sharp } = await import('sharp');
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const { file, plot } of plots) {
    const out = path.join(dir, file);
    await sharp(Buffer.from(prCurveSvg(plot)))
      .png()
      .toFile(out);
    written.push(out);
  }
  return written;
}
