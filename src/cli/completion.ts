// Shell completion in Cobra's `__complete` protocol, which kubectl uses for plugins
// (kubectl_complete-netdoctor) and our own bash/zsh/fish scripts call too: candidates one per line,
// then ":<directive>". Pure: the caller supplies the context names.
import { flagName, OUTPUTS, REPORT_FORMATS, SETTING_SPECS } from "../config/settings.ts";
import { KUBE_FLAG_SPECS } from "../kube/kubeconfig.ts";
import { CLEAN_SETTINGS, KUBE_FLAG_NAMES, REPORT_SETTINGS } from "./flags.ts";

export const COMMANDS = ["init", "check", "resume", "report", "clean", "version", "completion"] as const;

/** Cobra's ShellCompDirective values that we use. */
const DEFAULT = 0; // let the shell complete file names
const NO_FILES = 4;

const FILE_FLAGS = new Set(["kubeconfig", "dst-kubeconfig", "config", "results", "html", "junit", "out", "compare", ...KUBE_FLAG_SPECS.filter((f) => f.kind === "file").map((f) => flagName(f.key))]);
const CONTEXT_FLAGS = new Set(["context", "dst-context"]);
const BOOL_FLAGS = new Set([
  "all-namespaces", "force", "help", "dry-run",
  ...KUBE_FLAG_SPECS.filter((f) => f.kind === "bool").map((f) => flagName(f.key)),
  ...SETTING_SPECS.filter((s) => s.kind === "bool").map((s) => flagName(s.key)),
]);

function flagsOf(command: string): string[] {
  const settings = SETTING_SPECS.map((s) => flagName(s.key));
  switch (command) {
    case "check":
    case "resume":
      return [...KUBE_FLAG_NAMES, ...settings, "no-progress", "dry-run", "html", "junit"];
    case "report":
      return ["config", ...REPORT_SETTINGS.map(flagName), "output", "out", "compare"];
    case "clean":
      return [...KUBE_FLAG_NAMES, ...CLEAN_SETTINGS.map(flagName), "all-namespaces", "no-progress", "dry-run"];
    case "init":
      return ["config", "force"];
    case "version":
      return ["output"];
    default:
      return [];
  }
}

function valuesOf(flag: string, contexts: string[], command: string): { values: string[]; directive: number } {
  if (FILE_FLAGS.has(flag)) return { values: [], directive: DEFAULT };
  if (CONTEXT_FLAGS.has(flag)) return { values: contexts, directive: NO_FILES };
  if (flag === "output") return { values: [...(command === "report" ? REPORT_FORMATS : OUTPUTS)], directive: NO_FILES };
  const spec = SETTING_SPECS.find((s) => flagName(s.key) === flag);
  return { values: spec?.choices ? [...spec.choices] : [], directive: NO_FILES };
}

/** words: what follows the plugin name; the last one is the word being completed (maybe ""). */
export function complete(words: string[], contexts: string[]): string {
  const current = words[words.length - 1] ?? "";
  const before = words.slice(0, -1);
  const command = before.find((w) => !w.startsWith("-"));
  const previous = before[before.length - 1];
  let values: string[];
  let directive = NO_FILES;

  if (previous?.startsWith("--") && !previous.includes("=") && !BOOL_FLAGS.has(previous.slice(2)) && command && previous !== command) {
    ({ values, directive } = valuesOf(previous.slice(2), contexts, command));
  } else if (current.startsWith("--") && current.includes("=")) {
    const [flag, partial] = [current.slice(2, current.indexOf("=")), current.slice(current.indexOf("=") + 1)];
    const found = valuesOf(flag, contexts, command ?? "");
    values = found.values.filter((v) => v.startsWith(partial)).map((v) => `--${flag}=${v}`);
    directive = found.directive;
  } else if (current.startsWith("-")) {
    values = flagsOf(command ?? "").map((f) => `--${f}`);
  } else if (!command) {
    values = [...COMMANDS];
  } else if (command === "completion") {
    values = ["bash", "zsh", "fish"];
  } else if (command === "report") {
    // report [FILE]: a results file.
    values = [];
    directive = DEFAULT;
  } else {
    values = [];
  }
  const matches = values.filter((v) => v.startsWith(current));
  return `${[...matches, `:${directive}`].join("\n")}\n`;
}

/** Scripts that ask the binary for candidates, so completion follows the binary's own flags. */
export function completionScript(shell: "bash" | "zsh" | "fish", bin = "kubectl-netdoctor"): string {
  switch (shell) {
    case "bash":
      return `# bash completion for ${bin}: source <(${bin} completion bash)
_kubectl_netdoctor() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out
  out=$(${bin} __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  local directive=\${out##*:}
  out=\${out%:*}
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
  if [ \${#COMPREPLY[@]} -eq 0 ] && [ "$directive" = 0 ]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _kubectl_netdoctor ${bin}
`;
    case "zsh":
      return `#compdef ${bin}
# zsh completion for ${bin}: source <(${bin} completion zsh)
_kubectl_netdoctor() {
  local -a lines
  lines=("\${(@f)$(${bin} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  local directive=\${lines[-1]#:}
  lines=("\${(@)lines[1,-2]}")
  if (( \${#lines} )); then compadd -a lines; elif [[ $directive == 0 ]]; then _files; fi
}
compdef _kubectl_netdoctor ${bin}
`;
    case "fish":
      return `# fish completion for ${bin}: ${bin} completion fish | source
function __kubectl_netdoctor_complete
  set -l words (commandline -opc)[2..-1] (commandline -ct)
  ${bin} __complete $words 2>/dev/null | string match -v -r '^:'
end
complete -c ${bin} -f -a '(__kubectl_netdoctor_complete)'
`;
  }
}
