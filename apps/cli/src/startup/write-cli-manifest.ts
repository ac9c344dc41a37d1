/**
 * Build step: boots the real CLI once (every command registered, all libraries loaded) and writes what help,
 * version and completion need to dist/apps/cli/cli-manifest.json. Run by tools/build.js, not by users.
 */
import * as fs from 'fs';
import { createCli } from '../bootstrap';
import { describeProgram } from './cli-manifest';
import { MANIFEST_FILE } from './fast-path';

async function main(): Promise<void> {
  const { app, program, version } = await createCli();
  fs.writeFileSync(MANIFEST_FILE, JSON.stringify(describeProgram(program, version), null, 1) + '\n');
  await app.close();
}

main().catch((e: Error) => {
  process.stderr.write(`write-cli-manifest: ${e.stack}\n`);
  process.exit(1);
});
