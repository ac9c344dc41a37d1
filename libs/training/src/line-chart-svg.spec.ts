import { lineChartSvg, niceTicks } from './line-chart-svg';

describe('niceTicks', () => {
  it('hand-worked ranges', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    // (0.87 − 0.13) / 6 = 0.123 → step 0.2, from floor(0.13 / 0.2)·0.2 = 0 to 1
    expect(niceTicks(0.13, 0.87)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    // a flat range is widened by ±10%: (2.7, 3.3) → step 0.1
    expect(niceTicks(3, 3)).toEqual([2.7, 2.8, 2.9, 3, 3.1, 3.2, 3.3]);
  });
});

describe('lineChartSvg', () => {
  it('draws one polyline per unbroken run, breaks at NaN, and labels both axes', () => {
    const svg = lineChartSvg({
      title: 'a <b>',
      xLabel: 'iteration',
      yLabel: 'loss',
      y2Label: 'lr',
      series: [
        { label: 'loss', x: [1, 2, 3, 4, 5], y: [4, 3, NaN, 2, 1] },
        { label: 'lr', x: [1, 2, 3, 4, 5], y: [0.1, 0.1, 0.1, 0.01, 0.01], axis: 'right', dashed: true },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)!.length).toBe(3);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('lr (right)');
  });

  it('log axis ticks at powers of ten and skips non-positive values', () => {
    const svg = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      logY: true,
      series: [{ label: 's', x: [0, 1, 2], y: [0.5, 0, 20] }],
    });
    for (const t of ['>0.1<', '>1<', '>10<', '>100<']) expect(svg).toContain(t);
    expect(svg.match(/<circle/g)!.length).toBe(2);
  });
});
