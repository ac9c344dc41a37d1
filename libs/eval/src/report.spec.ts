import { cocoJsonReport, formatApTable, formatCocoCategoryTable } from './report';

describe('reports', () => {
  it('formats a per-class table with a mean over entries > -1', () => {
    const t = formatApTable(
      ['AP', 'AP50'],
      [
        { name: 'person', id: 1, values: [0.5, 0.75] },
        { name: 'kite', id: 38, values: [0.25, -1] },
      ],
    );
    expect(t.split('\n')).toEqual([
      'class    id      AP    AP50',
      'person    1   0.500   0.750',
      'kite     38   0.250       -',
      'mean          0.375   0.750',
    ]);
  });

  it('formats the COCO per-category table (AP, AP50, AP75)', () => {
    const t = formatCocoCategoryTable([{ catId: 3, name: 'car', ap: 0.1, ap50: 0.2, ap75: 0.05 }]);
    expect(t.split('\n')[0]).toMatch(/^class\s+id\s+AP\s+AP50\s+AP75$/);
    expect(t.split('\n')[1]).toMatch(/^car\s+3\s+0\.100\s+0\.200\s+0\.050$/);
  });

  it('builds the --json document of the CLI contract', () => {
    const doc = cocoJsonReport([0.1, 0.2], [{ catId: 3, name: 'car', ap: 0.1, ap50: 0.2, ap75: 0.05 }]);
    expect(doc).toEqual({ stats: [0.1, 0.2], per_category: { '3': 0.1 } });
  });
});
