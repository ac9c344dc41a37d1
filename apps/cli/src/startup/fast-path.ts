import * as fs from 'fs';
import * as path from 'path';
import { findCommand, type CliManifest } from './cli-manifest';
import { completionScript } from './completion';

/** Where the build writes the manifest: dist/apps/cli/cli-manifest.json (absent when running from sources). */
export const MANIFEST_FILE = path.join(__dirname, '..', '..', 'cli-manifest.json');

export function readManifest(file = MANIFEST_FILE): CliManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CliManifest;
  } catch {
    return undefined;
  }
}

/**
 * Removes the global flags from argv (they may appear anywhere) and applies them to the environment the
 * commands read: `--log-format pretty|json` → RESDET_LOG_FORMAT.
 */
export function takeGlobalFlags(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--log-format(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const value = m[1] ?? argv[++i];
    if (value !== 'pretty' && value !== 'json') {
      throw new UsageError(`--log-format must be pretty or json, got ${value ?? 'nothing'}`);
    }
    env.RESDET_LOG_FORMAT = value;
  }
  return rest;
}

export class UsageError extends Error {}

export interface Answer {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

/**
 * Answers `--version`, `--help` (root, command, subcommand), `help <cmd>` and `completion bash|zsh` from the
 * manifest; undefined for anything that needs the real CLI (which then also reports unknown commands).
 */
export function answerFromManifest(argv: string[], manifest: CliManifest): Answer | undefined {
  const [first, ...rest] = argv;
  if (first === undefined) return { stderr: manifest.root.help, exitCode: 2 };
  if (argv.length === 1 && (first === '--version' || first === '-V')) {
    return { stdout: `${manifest.version}\n`, exitCode: 0 };
  }
  if (first === 'completion') {
    if (rest.length !== 1) return { stderr: 'error: usage: resdet completion bash|zsh\n', exitCode: 2 };
    try {
      return { stdout: completionScript(rest[0], manifest), exitCode: 0 };
    } catch (e) {
      return { stderr: `error: ${(e as Error).message}\n`, exitCode: 2 };
    }
  }
  if (first === 'help') {
    const cmd = findCommand(manifest, rest);
    return cmd ? { stdout: cmd.help, exitCode: 0 } : undefined;
  }
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  if (!flags.includes('--help') && !flags.includes('-h')) return undefined;
  const words: string[] = [];
  for (const a of flags) {
    if (a.startsWith('-') || !findCommand(manifest, [...words, a])) break;
    words.push(a);
  }
  const cmd = findCommand(manifest, words);
  return cmd ? { stdout: cmd.help, exitCode: 0 } : undefined;
}
