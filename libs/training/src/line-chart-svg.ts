import { CHART_PALETTE as PALETTE, escapeXml as esc } from '@resdet/eval';
/** One polyline of a {@link LineChart}. Points with a non-finite x or y break the line. */
export interface LineSeries {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Which y axis the series uses (default left). */
  axis?: 'left' | 'right';
  /** CSS colour; default from a 10-colour palette by series index. */
  color?: string;
  dashed?: boolean;
}

/** A generic x–y line chart: one or two y axes, linear or log scale. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Label of the right axis (shown when a series uses it). */
  y2Label?: string;
  series: LineSeries[];
  /** Log₁₀ scale for the left / right axis (non-positive values are not drawn). */
  logY?: boolean;
  logY2?: boolean;
  width?: number;
  height?: number;
}

/** Axis range and ticks; log axes work in log₁₀ units. */
interface Scale {
  lo: number;
  hi: number;
  ticks: { v: number; label: string }[];
  map: (v: number) => number;
}

/** "Nice" linear ticks (steps of 1, 2 or 5 × 10ᵏ) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - d, hi + d, target);
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(6)));
}

function makeScale(values: number[], log: boolean, pixLo: number, pixHi: number): Scale | undefined {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!vs.length) return undefined;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  let ticks: { v: number; label: string }[];
  if (log) {
    lo = Math.floor(Math.log10(lo));
    hi = Math.ceil(Math.log10(hi));
    if (hi === lo) hi = lo + 1;
    ticks = [];
    for (let e = lo; e <= hi; e++) ticks.push({ v: e, label: formatTick(10 ** e) });
  } else {
    const t = niceTicks(lo, hi);
    lo = t[0];
    hi = t[t.length - 1];
    ticks = t.map((v) => ({ v, label: formatTick(v) }));
  }
  const map = (v: number) => pixLo + ((v - lo) / (hi - lo)) * (pixHi - pixLo);
  return { lo, hi, ticks, map };
}

/**
 * Renders a line chart as a standalone SVG string: grid, ticks, axis labels, one polyline per series,
 * a legend and a title. Pure string building (rasterise with sharp: `sharp(Buffer.from(svg)).png()`).
 *
 * @example
 * lineChartSvg({ title: 'loss', xLabel: 'iteration', yLabel: 'loss',
 *   series: [{ label: 'loss', x: [1, 2, 3], y: [2, 1, 0.5] }] });
 */
export function lineChartSvg(chart: LineChart): string {
  const W = chart.width ?? 800;
  const H = chart.height ?? 480;
  const hasRight = chart.series.some((s) => s.axis === 'right');
  const L = 70,
    R = hasRight ? 80 : 20,
    T = 40,
    B = 50;
  const coords = (s: LineSeries, log: boolean) => Array.from(s.y, (v) => (log ? Math.log10(v) : v));
  const side = (s: LineSeries) => (s.axis === 'right' ? 'right' : 'left');
  const logOf = (s: LineSeries) => (side(s) === 'right' ? !!chart.logY2 : !!chart.logY);
  const xs = makeScale(
    chart.series.flatMap((s) => Array.from(s.x)),
    false,
    L,
    W - R,
  );
  const yl = makeScale(
    chart.series.filter((s) => side(s) === 'left').flatMap((s) => Array.from(s.y)),
    !!chart.logY,
    H - B,
    T,
  );
  const yr = makeScale(
    chart.series.filter((s) => side(s) === 'right').flatMap((s) => Array.from(s.y)),
    !!chart.logY2,
    H - B,
    T,
  );
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const f = (v: number) => v.toFixed(2);
  if (xs) {
    for (const t of xs.ticks) {
      parts.push(
        `<line x1="${f(xs.map(t.v))}" y1="${T}" x2="${f(xs.map(t.v))}" y2="${H - B}" stroke="#e5e5e5"/>`,
      );
      parts.push(
        `<text x="${f(xs.map(t.v))}" y="${H - B + 18}" font-size="12" text-anchor="middle">${t.label}</text>`,
      );
    }
  }
  if (yl) {
    for (const t of yl.ticks) {
      parts.push(
        `<line x1="${L}" y1="${f(yl.map(t.v))}" x2="${W - R}" y2="${f(yl.map(t.v))}" stroke="#e5e5e5"/>`,
      );
      parts.push(
        `<text x="${L - 8}" y="${f(yl.map(t.v) + 4)}" font-size="12" text-anchor="end">${t.label}</text>`,
      );
    }
  }
  if (yr) {
    for (const t of yr.ticks) {
      parts.push(
        `<text x="${W - R + 8}" y="${f(yr.map(t.v) + 4)}" font-size="12" text-anchor="start">${t.label}</text>`,
      );
    }
  }
  parts.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#000000"/>`,
  );
  chart.series.forEach((s, i) => {
    const ys = side(s) === 'right' ? yr : yl;
    if (!xs || !ys) return;
    const yv = coords(s, logOf(s));
    const color = s.color ?? PALETTE[i % PALETTE.length];
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) {
        parts.push(
          `<polyline fill="none" stroke="${color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${run.join(' ')}"/>`,
        );
      } else if (run.length === 1) {
        const [cx, cy] = run[0].split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="2" fill="${color}"/>`);
      }
      run = [];
    };
    for (let j = 0; j < Math.min(s.x.length, yv.length); j++) {
      if (Number.isFinite(s.x[j]) && Number.isFinite(yv[j]))
        run.push(`${f(xs.map(s.x[j]))},${f(ys.map(yv[j]))}`);
      else flush();
    }
    flush();
  });
  const lx = L + 12;
  const ly = T + 14;
  parts.push(
    `<rect x="${lx - 6}" y="${ly - 12}" width="170" height="${chart.series.length * 16 + 6}" fill="#ffffff" fill-opacity="0.85" stroke="#999999"/>`,
  );
  chart.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const yy = ly + i * 16;
    parts.push(
      `<line x1="${lx}" y1="${yy - 4}" x2="${lx + 20}" y2="${yy - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    parts.push(
      `<text x="${lx + 26}" y="${yy}" font-size="11">${esc(s.label)}${s.axis === 'right' ? ' (right)' : ''}</text>`,
    );
  });
  parts.push(`<text x="${W / 2}" y="24" font-size="15" text-anchor="middle">${esc(chart.title)}</text>`);
  parts.push(
    `<text x="${L + (W - L - R) / 2}" y="${H - 12}" font-size="13" text-anchor="middle">${esc(chart.xLabel)}</text>`,
  );
  const yMid = T + (H - T - B) / 2;
  parts.push(
    `<text x="16" y="${yMid}" font-size="13" text-anchor="middle" transform="rotate(-90 16 ${yMid})">${esc(chart.yLabel)}${chart.logY ? ' (log)' : ''}</text>`,
  );
  if (hasRight && chart.y2Label) {
    parts.push(
      `<text x="${W - 12}" y="${yMid}" font-size="13" text-anchor="middle" transform="rotate(90 ${W - 12} ${yMid})">${esc(chart.y2Label)}${chart.logY2 ? ' (log)' : ''}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
