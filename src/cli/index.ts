// The command line: kubectl-style global flags, the subcommands, and help that says how the
// plugin was invoked. Handlers are imported lazily so `--help` and `version` stay fast.
import yargs, { type Argv } from "yargs";
import { ExitCode, UsageError } from "../errors.ts";
import { REPORT_FORMATS, SETTING_KEYS, type SettingKey } from "../config/settings.ts";
import { commandName, type Io } from "../runtime/io.ts";
import { CLEAN_SETTINGS, REPORT_SETTINGS, withDryRun, withKubeFlags, withReportFiles, withSettingFlags } from "./flags.ts";
import { buildInfo } from "../version.ts";

/** The parsed command line. Settings and connection flags are read through their tables
 * (flags.ts); these are the flags commands read themselves. */
export interface Args {
  config?: string;
  "dry-run"?: boolean;
  "all-namespaces"?: boolean;
  force?: boolean;
  output?: string;
  shell?: "bash" | "zsh" | "fish";
  [flag: string]: unknown;
}
export type Handler = (args: Args, io: Io) => Promise<ExitCode>;

const EXIT_CODES = `Exit codes:
  0  every check passed
  1  connectivity problems found
  2  bad usage or configuration
  3  cluster or API error (unreachable server, authentication, permissions)
  4  internal error (a bug: please report it)
130  interrupted (Ctrl-C); what was created is removed first`;

/** Settings a run of check or resume can take as flags. */
const RUN_SETTINGS: readonly SettingKey[] = SETTING_KEYS;

export async function runCli(argv: string[], io: Io): Promise<ExitCode> {
  const name = commandName();
  let exitCode: ExitCode = ExitCode.Ok;
  const run = (load: () => Promise<{ default: Handler }>) => async (args: Args) => {
    exitCode = await (await load()).default(args, io);
  };

  const cli: Argv = yargs(argv)
    .scriptName(name)
    .usage(`${name} <command> [flags]\n\nProves a Kubernetes cluster's network works, node pair by node pair.`)
    .command("init", "Write a commented netdoctor.yaml with every setting and its default", (y) =>
      y.option("force", { type: "boolean", describe: "Overwrite an existing file" })
        .option("config", { type: "string", describe: "Where to write (default ./netdoctor.yaml)" }),
      run(() => import("./commands/init.ts")))
    .command("check", "Deploy floaters and probe every node pair", (y) =>
      withReportFiles(withDryRun(withSettingFlags(withKubeFlags(y), RUN_SETTINGS))).epilog(EXIT_CODES),
      run(() => import("./commands/check.ts")))
    .command("resume", "Re-check only the pairs that failed in the last run", (y) =>
      withReportFiles(withDryRun(withSettingFlags(withKubeFlags(y), RUN_SETTINGS))).epilog(EXIT_CODES),
      run(() => import("./commands/resume.ts")))
    .command("report [file]", "Show saved results again (table, json, yaml, html, junit), or compare two runs; no cluster is contacted", (y) =>
      withSettingFlags(y, REPORT_SETTINGS)
        .positional("file", { type: "string", describe: "Results file (default: the last results for the context, as resume finds them)" })
        .option("config", { type: "string", describe: "Settings file (default ./netdoctor.yaml, else netctl's ./config.json)" })
        .option("output", { alias: "o", choices: REPORT_FORMATS, describe: "Output format (html: one self-contained page; junit: XML for CI)" })
        .option("out", { type: "string", describe: "Write to FILE instead of stdout" })
        .option("compare", { type: "string", describe: "Compare the results in OLD with FILE: fixed, newly failing, still failing, nodes added or gone (exit 1 when something newly fails)" })
        .example(`${name} report -o html --out report.html`, "the last results as a page to open in a browser")
        .example(`${name} report --compare before.json`, "what changed since before.json")
        .epilog(EXIT_CODES),
      run(() => import("./commands/report.ts")))
    .command("clean", "Remove everything netdoctor created", (y) =>
      withDryRun(withSettingFlags(withKubeFlags(y), CLEAN_SETTINGS))
        .option("all-namespaces", { alias: "A", type: "boolean", describe: "Find netdoctor objects in every namespace" }),
      run(() => import("./commands/clean.ts")))
    .command("version", "Print the plugin version and build info", (y) =>
      y.option("output", { alias: "o", choices: ["json", "yaml"], describe: "Output format" }),
      run(() => import("./commands/version.ts")))
    .command("completion <shell>", "Print a shell completion script", (y) =>
      y.positional("shell", { choices: ["bash", "zsh", "fish"] as const, describe: "Shell" }),
      run(() => import("./commands/completion.ts")))
    // Cobra's protocol, used by kubectl_complete-netdoctor and the completion scripts.
    .command("__complete", false, (y) => y.strict(false), run(() => import("./commands/complete.ts")))
    .demandCommand(1, `${name}: a command is needed (init, check, resume, report, clean, version, completion)`)
    .recommendCommands()
    .strict()
    .help()
    .alias("h", "help")
    .version(buildInfo().version)
    .epilog(EXIT_CODES)
    .wrap(Math.min(io.columns, 110))
    .exitProcess(false)
    .parserConfiguration({ "populate--": true })
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });

  let helpShown = false;
  await cli.parseAsync(argv, {}, (err, _parsed, output) => {
    if (output && !err) {
      helpShown = true;
      io.out(`${output}\n`);
    }
    if (err) throw err;
  });
  return helpShown ? ExitCode.Ok : exitCode;
}
