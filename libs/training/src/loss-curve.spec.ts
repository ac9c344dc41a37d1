import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { lossCurveChart, writeLossCurvePng } from './loss-curve';
import type { LossPoint } from './loss-history';

const points: LossPoint[] = Array.from({ length: 30 }, (_, i) => ({
  iteration: (i + 1) * 10,
  lr: i < 20 ? 0.02 : 0.002,
  losses: {
    loss_classifier: 2 * Math.exp(-i / 8),
    loss_box_reg: 0.5 * Math.exp(-i / 15),
    loss: 2 * Math.exp(-i / 8) + 0.5 * Math.exp(-i / 15),
  },
}));

describe('loss curve', () => {
  it('puts every term (total first) on the left axis and the lr on the right', () => {
    const c = lossCurveChart(points);
    expect(c.series.map((s) => [s.label, s.axis ?? 'left'])).toEqual([
      ['loss', 'left'],
      ['loss_classifier', 'left'],
      ['loss_box_reg', 'left'],
      ['lr', 'right'],
    ]);
    expect(c.logY).toBe(true); // 2.5 … 0.06 spans more than a decade
  });

  it('writes a PNG of the requested size with something drawn on it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-loss-'));
    const file = await writeLossCurvePng(points, path.join(dir, 'loss-curve.png'));
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 800, 480]);
    const stats = await sharp(file).stats();
    expect(stats.channels[0].min).toBeLessThan(100); // lines and text, not a blank canvas
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
