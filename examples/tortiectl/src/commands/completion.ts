// `tortiectl completion bash|zsh`: completion scripts generated from the
// command tree itself, so a new command or flag completes without edits here.
import type { Command } from "commander";
import { UsageError } from "../errors.js";

interface Node {
  readonly path: string;
  readonly words: string[];
}

function walk(cmd: Command, path: string, out: Node[]): void {
  const subs = cmd.commands.map((c) => c.name());
  const flags = cmd.options.flatMap((o) =>
    [o.long, o.short].filter((x): x is string => Boolean(x)),
  );
  out.push({ path, words: [...subs, ...flags, "--help"] });
  for (const c of cmd.commands) walk(c, path ? `${path} ${c.name()}` : c.name(), out);
}

/** The completion script for `shell`. */
export function completionScript(program: Command, shell: string): string {
  const nodes: Node[] = [];
  walk(program, "", nodes);
  const cases = nodes.map((n) => `    "${n.path}") words="${n.words.join(" ")}" ;;`).join("\n");
  const body = `_tortiectl_words() {
  local path="" w
  for w in "\${@}"; do
    case "$w" in -*) ;; *) if [[ -n "$path" ]]; then path="$path $w"; else path="$w"; fi ;; esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
}
`;
  if (shell === "bash") {
    return `# bash completion for tortiectl: source <(tortiectl completion bash)
${body}_tortiectl() {
  local words
  _tortiectl_words "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  COMPREPLY=( $(compgen -W "$words" -- "\${COMP_WORDS[COMP_CWORD]}") )
}
complete -F _tortiectl tortiectl
`;
  }
  if (shell === "zsh") {
    return `# zsh completion for tortiectl: source <(tortiectl completion zsh)
autoload -U +X bashcompinit && bashcompinit
${completionScript(program, "bash").split("\n").slice(1).join("\n")}`;
  }
  throw new UsageError(`completion: shell must be bash or zsh, not ${JSON.stringify(shell)}`);
}
