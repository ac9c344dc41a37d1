import type { CliManifest, ManifestCommand } from './cli-manifest';

/**
 * Static bash / zsh completion scripts: commands, subcommands and each command's flags are written into the
 * script, so pressing TAB starts no process. Paths fall back to the shell's file completion. zsh runs the bash
 * function through bashcompinit (its compgen lists every candidate and zsh filters by the typed prefix). The
 * variable is not named `path`: in zsh that is PATH's array.
 */
export function completionScript(shell: string, manifest: CliManifest): string {
  const name = manifest.name;
  const cases = listPaths(manifest.root, [])
    .map(({ path, cmd }) => {
      const words = [...cmd.commands.map((c) => c.name), ...cmd.flags];
      return `    "${path.join(' ')}") words="${words.join(' ')}" ;;`;
    })
    .join('\n');
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  if (shell === 'bash') {
    return `# ${name} bash completion — add to ~/.bashrc: eval "$(${name} completion bash)"
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd_path="" w i words=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case "\${cmd_path:+$cmd_path }$w" in
${listPaths(manifest.root, [])
  .filter((p) => p.path.length > 0)
  .map((p) => `      "${p.path.join(' ')}") cmd_path="${p.path.join(' ')}" ;;`)
  .join('\n')}
    esac
  done
  case "$cmd_path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -o default -F ${fn} ${name}
`;
  }
  if (shell === 'zsh') {
    return `#compdef ${name}
# ${name} zsh completion — add to ~/.zshrc: eval "$(${name} completion zsh)"
(( $+functions[compdef] )) || { autoload -U compinit && compinit; }
autoload -U bashcompinit && bashcompinit
${completionScript('bash', manifest).replace(/^#.*\n/, '')}`;
  }
  throw new Error(`completion: unknown shell '${shell}' (bash or zsh)`);
}

function listPaths(cmd: ManifestCommand, path: string[]): { path: string[]; cmd: ManifestCommand }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => listPaths(c, [...path, c.name]))];
}
