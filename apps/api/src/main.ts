/**
 * Standalone API entry (`npm run start:api` also goes through the CLI's `serve`, which takes model flags).
 * Kept so `nest start api` works; the model comes from the environment (RESDET_*).
 */
import 'reflect-metadata';

async function main(): Promise<void> {
  const { serveFromEnvironment } = await import('./serve');
  await serveFromEnvironment();
}

void main();
