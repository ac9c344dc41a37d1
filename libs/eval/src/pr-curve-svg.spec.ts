import { prCurveSvg } from './pr-curve-svg';

describe('prCurveSvg', () => {
  it('draws one polyline per series, skipping negative (unmeasured) points, and escapes text', () => {
    const svg = prCurveSvg({
      title: 'cats & <dogs>',
      recall: [0, 0.5, 1],
      series: [
        { label: 'IoU=0.50', precision: [1, 0.5, 0] },
        { label: 'IoU=0.75', precision: [-1, -1, -1] },
      ],
      width: 200,
      height: 100,
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    // x = 60 + r · 120, y = 40 + (1 - p / 1.01) · 10
    expect(svg).toContain('points="60.00,40.10 120.00,45.05 180.00,50.00"');
    expect(svg).toContain('cats &amp; &lt;dogs&gt;');
    expect(svg).toContain('IoU=0.75'); // still in the legend
  });
});
