import { CHART_PALETTE as PALETTE, escapeXml as esc } from './svg-text';
/** One line of a precision-recall plot. */
export interface PrSeries {
  label: string;
  /** Precision at each recall in `recall` (same length). Negative values (no ground truth) are not drawn. */
  precision: ArrayLike<number>;
}

/** What a PR plot shows. */
export interface PrPlot {
  title: string;
  /** Recall of each point (COCO: the 101 recall thresholds). */
  recall: ArrayLike<number>;
  series: PrSeries[];
  width?: number;
  height?: number;
}

/**
 * Renders a precision-recall plot as a standalone SVG string (axes 0–1 with a grid, one coloured polyline per
 * series, a legend at the upper right, a title). Pure string building; `writePrCurvePngs` rasterises it.
 */
export function prCurveSvg(plot: PrPlot): string {
  const W = plot.width ?? 640;
  const H = plot.height ?? 480;
  const L = 60,
    R = 20,
    T = 40,
    B = 50;
  const pw = W - L - R;
  const ph = H - T - B;
  const x = (v: number): string => (L + v * pw).toFixed(2);
  const y = (v: number): string => (T + (1 - v / 1.01) * ph).toFixed(2);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    const major = i % 2 === 0;
    const stroke = major ? '#cccccc' : '#eeeeee';
    parts.push(`<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1.01)}" stroke="${stroke}"/>`);
    parts.push(`<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="${stroke}"/>`);
    if (major) {
      const lbl = v.toFixed(1);
      parts.push(
        `<text x="${x(v)}" y="${(T + ph + 18).toFixed(2)}" font-size="12" text-anchor="middle">${lbl}</text>`,
      );
      parts.push(
        `<text x="${L - 8}" y="${(Number(y(v)) + 4).toFixed(2)}" font-size="12" text-anchor="end">${lbl}</text>`,
      );
    }
  }
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#000000"/>`);
  plot.series.forEach((s, i) => {
    const pts: string[] = [];
    for (let j = 0; j < plot.recall.length; j++) {
      const p = s.precision[j];
      if (p >= 0) pts.push(`${x(plot.recall[j])},${y(p)}`);
    }
    if (pts.length) {
      const c = PALETTE[i % PALETTE.length];
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    }
  });
  const lx = L + pw - 124; // upper right: a PR curve rarely reaches high precision at high recall
  const ly = T + 22;
  parts.push(
    `<rect x="${lx - 4}" y="${ly - 12}" width="120" height="${plot.series.length * 16 + 6}" fill="#ffffff" fill-opacity="0.85" stroke="#999999"/>`,
  );
  plot.series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length];
    const yy = ly + i * 16;
    parts.push(
      `<line x1="${lx}" y1="${yy - 4}" x2="${lx + 20}" y2="${yy - 4}" stroke="${c}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${lx + 26}" y="${yy}" font-size="11">${esc(s.label)}</text>`);
  });
  parts.push(`<text x="${W / 2}" y="24" font-size="15" text-anchor="middle">${esc(plot.title)}</text>`);
  parts.push(`<text x="${L + pw / 2}" y="${H - 12}" font-size="13" text-anchor="middle">recall</text>`);
  parts.push(
    `<text x="16" y="${T + ph / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 16 ${T + ph / 2})">precision</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
