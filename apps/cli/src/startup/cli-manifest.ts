import type { Command } from 'commander';

/**
 * What `--help`, `--version` and shell completion need, captured from the real commander tree at build time
 * (`tools/build.js` runs `write-cli-manifest`), so answering them loads neither Nest nor any tensor library.
 */
export interface CliManifest {
  name: string;
  version: string;
  root: ManifestCommand;
}

export interface ManifestCommand {
  name: string;
  /** commander's own help text for this command, examples included. */
  help: string;
  /** long and short flags (`--score-threshold`, `-h`) for completion. */
  flags: string[];
  commands: ManifestCommand[];
}

/** Walks a configured commander program (after Nest registered every command) into a manifest. */
export function describeProgram(program: Command, version: string): CliManifest {
  return { name: program.name(), version, root: describeCommand(program) };
}

function describeCommand(cmd: Command): ManifestCommand {
  const help = captureHelp(cmd);
  const flags = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
  flags.push('--help');
  return {
    name: cmd.name(),
    help,
    flags,
    commands: cmd.commands.filter((c) => c.name() !== 'help').map((c) => describeCommand(c)),
  };
}

/** `outputHelp` includes the text added with `addHelpText` (examples); `helpInformation` would not. */
function captureHelp(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

/** The command a word path names (`['dataset', 'shapes']`), or undefined. */
export function findCommand(manifest: CliManifest, words: string[]): ManifestCommand | undefined {
  let cmd: ManifestCommand | undefined = manifest.root;
  for (const w of words) {
    cmd = cmd.commands.find((c) => c.name === w);
    if (!cmd) return undefined;
  }
  return cmd;
}
