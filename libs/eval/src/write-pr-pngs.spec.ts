import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { writePrCurvePngs } from './write-pr-pngs';

describe('writePrCurvePngs', () => {
  it('rasterises each plot to a PNG of the plot size', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'resdet-pr-')), 'plots');
    const files = await writePrCurvePngs(
      [
        {
          file: 'pr-all.png',
          plot: { title: 't', recall: [0, 1], series: [{ label: 'a', precision: [1, 0] }] },
        },
      ],
      dir,
    );
    expect(files).toEqual([path.join(dir, 'pr-all.png')]);
    const meta = await sharp(files[0]).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 480]);
  });
});
