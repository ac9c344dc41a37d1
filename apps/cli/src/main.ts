#!/usr/bin/env node
import { answerFromManifest, readManifest, takeGlobalFlags, UsageError } from './startup/fast-path';

/**
 * `resdet` entry. Help, version and completion are answered from the build's manifest without loading Nest or
 * any tensor library (whole process ≈ 2× `node -e 0`); everything else boots the Nest CLI.
 */
function main(): void {
  let argv: string[];
  try {
    argv = takeGlobalFlags(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
  const manifest = readManifest();
  const answer = manifest && answerFromManifest(argv, manifest);
  if (answer) {
    if (answer.stdout) process.stdout.write(answer.stdout);
    if (answer.stderr) process.stderr.write(answer.stderr);
    process.exitCode = answer.exitCode;
    return;
  }
  process.argv = [...process.argv.slice(0, 2), ...argv];
  void import('./bootstrap').then((cli) => cli.runCli());
}

main();
