// Entry point: run the CLI and leave through one door. A NetdoctorError is already worded for
// the user (one line, its exit code); anything else is a bug, reported without a stack trace
// unless NETDOCTOR_DEBUG is set.
import { runCli } from "./cli/index.ts";
import { processIo } from "./runtime/io.ts";
import { ExitCode, NetdoctorError } from "./errors.ts";

const io = processIo();
const prefix = "error: ";
try {
  process.exitCode = await runCli(process.argv.slice(2), io);
} catch (err) {
  if (err instanceof NetdoctorError) {
    io.err(`${prefix}${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    io.err(`${prefix}internal error: ${err instanceof Error ? err.message : String(err)} (set NETDOCTOR_DEBUG=1 for details; please report it)\n`);
    if (io.env.NETDOCTOR_DEBUG) io.err(`${(err as Error)?.stack ?? ""}\n`);
    process.exitCode = ExitCode.Internal;
  }
}
// Execs cut short by Ctrl-C may still hold timers and sockets: leave once stdout has drained
// instead of waiting for them.
process.stdout.write("", () => process.exit());
