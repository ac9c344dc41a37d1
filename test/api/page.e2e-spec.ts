import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { writeShapesDataset } from '@resdet/data';
import { openDetector } from '@resdet/inference';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { resolveApiSettings } from '../../apps/api/src/config/api-settings';
import { REPO_ROOT } from '@resdet/testing';

/**
 * The page at `/` in a real browser: Debian's Chromium (headless, driven by playwright-core, no browser
 * download) against the API serving the trained shapes-demo fixture model. Upload → boxes and a list; the
 * slider filters in the browser; a corrupt upload shows the API's message. A screenshot is left in
 * test-artifacts/ for people to look at.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MODEL = path.join(REPO_ROOT, 'test/fixtures/models/shapes-demo.safetensors');
const DEMO = JSON.parse(readFileSync(path.join(REPO_ROOT, 'configs/shapes_demo.json'), 'utf8')).demo;
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

describe('the page at / (e2e, Chromium)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'resdet-page-'));
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let url: string;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: run 'tools/ensure-system-deps.sh chromium' as root (npm test does) or set CHROMIUM_PATH`,
      );
    }
    const detector = await openDetector({ weights: MODEL, backend: 'wasm' });
    app = await createApiApp({ detector, settings: resolveApiSettings({}), logLevel: 'silent' });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // the browser logs every 4xx response itself; those are expected here, anything else is not
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('detects in an uploaded image, filters with the slider, and shows the API error for a corrupt file', async () => {
    await writeShapesDataset({
      out: dir,
      format: 'coco',
      count: 1,
      valCount: 1,
      seed: 4242,
      shapes: DEMO.shapes,
    });
    const image = findImage(dir, 'val');

    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toMatch(/resdet/);
    expect(await page.getAttribute('a[href="docs"]', 'href')).toBe('docs');

    const detections = page.locator('[data-testid="detection"]');
    await page.setInputFiles('input[type=file]', image);
    await detections.first().waitFor({ timeout: 60_000 });
    const atDefault = await detections.count();
    expect(atDefault).toBeGreaterThanOrEqual(1);
    await expect(page.locator('#summary').textContent()).resolves.toMatch(
      /model fasterrcnn_shapes_demo, \d+ ms/,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'page-detections.png'), fullPage: true });

    const slider = page.locator('input[type=range]#score-threshold');
    expect(await slider.getAttribute('min')).toBe('0');
    expect(await slider.getAttribute('max')).toBe('1');
    await slider.fill('1');
    expect(await detections.count()).toBe(0);
    await slider.fill('0');
    expect(await detections.count()).toBeGreaterThanOrEqual(atDefault);

    const corrupt = path.join(dir, 'corrupt.jpg');
    writeFileSync(corrupt, readFileSync(image).subarray(0, 300));
    await page.setInputFiles('input[type=file]', corrupt);
    const error = page.locator('[data-testid="error"]');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await error.textContent()).toMatch(/^422 .*corrupt or truncated/);
    expect(await detections.count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'page-error.png'), fullPage: true });

    expect(problems).toEqual([]);
  });
});

/** The first image file under `root` in a folder whose name contains `split`. */
function findImage(root: string, split: string): string {
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const parent = e.parentPath ?? (e as unknown as { path: string }).path;
    if (e.isFile() && /\.(jpe?g|png)$/.test(e.name) && path.basename(parent).includes(split)) {
      return path.join(parent, e.name);
    }
  }
  throw new Error(`no ${split} image under ${root}`);
}
