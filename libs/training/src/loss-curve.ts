import { writeFileAtomic } from '@resdet/checkpoint';
import { LineChart, LineSeries, lineChartSvg } from './line-chart-svg';
import type { LossPoint } from './loss-history';

/**
 * The loss-curve chart of a run: every loss term and the total (`loss`) against the iteration on the
 * left axis (log scale when the values span more than a decade), the learning rate dashed on the
 * right axis.
 */
export function lossCurveChart(points: readonly LossPoint[], title = 'training loss'): LineChart {
  const x = points.map((p) => p.iteration);
  const terms = [...new Set(points.flatMap((p) => Object.keys(p.losses)))];
  terms.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
  const series: LineSeries[] = terms.map((t) => ({ label: t, x, y: points.map((p) => p.losses[t] ?? NaN) }));
  series.push({ label: 'lr', x, y: points.map((p) => p.lr), axis: 'right', dashed: true, color: '#555555' });
  const positive = points.flatMap((p) => Object.values(p.losses)).filter((v) => v > 0 && Number.isFinite(v));
  const logY = positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 10;
  return { title, xLabel: 'iteration', yLabel: 'loss', y2Label: 'learning rate', series, logY };
}

/** The loss curve as an SVG string (see {@link lossCurveChart}). */
export function lossCurveSvg(points: readonly LossPoint[], title?: string): string {
  return lineChartSvg(lossCurveChart(points, title));
}

/**
 * Rasterises the loss curve to a PNG file with sharp (written atomically); returns the path.
 *
 * @example
 * await writeLossCurvePng(result.history, path.join(outDir, 'loss-curve.png'));
 */
export async function writeLossCurvePng(
  points: readonly LossPoint[],
  file: string,
  title?: string,
): Promise<string> {
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(lossCurveSvg(points, title)))
    .png()
    .toBuffer();
  writeFileAtomic(file, png);
  return file;
}
