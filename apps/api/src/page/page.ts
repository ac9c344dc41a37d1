import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The folder of the built page (index.html, app.js, style.css): dist/apps/api/web beside this file's build
 * output, or — when the API runs from the sources (jest) — the same folder under the checkout's dist/.
 */
export function pageRoot(): string {
  const beside = path.resolve(__dirname, '..', '..', 'web');
  if (existsSync(path.join(beside, 'app.js'))) return beside;
  return path.resolve(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'api', 'web');
}

/**
 * Serves the page at `/` as static files. The HTML gets a Content-Security-Policy that allows nothing from
 * another origin (no CDN, no external fonts): scripts, styles and requests stay on this server.
 */
export function servePage(app: NestExpressApplication, root = pageRoot()): void {
  app.useStaticAssets(root, {
    index: 'index.html',
    setHeaders: (res, file) => {
      if (file.endsWith('.html')) {
        res.setHeader(
          'Content-Security-Policy',
          "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'self'",
        );
      }
    },
  });
}
