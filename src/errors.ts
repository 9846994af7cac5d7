// The only place exit codes are defined. Every failure leaves main() through one of these.

export const ExitCode = {
  Ok: 0,
  /** The check ran and found connectivity problems. */
  ProblemsFound: 1,
  /** Bad flags, settings or files: the user must change the invocation. */
  Usage: 2,
  /** The cluster could not be reached or refused us: server down, auth, permissions. */
  Cluster: 3,
  /** A bug in netdoctor: an error nobody anticipated. */
  Internal: 4,
  /** Interrupted by SIGINT (128 + 2), as shells expect. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is already fit for the user; main() prints it on one line. */
export class NetdoctorError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends NetdoctorError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

export class ClusterError extends NetdoctorError {
  constructor(message: string) {
    super(message, ExitCode.Cluster);
  }
}

/** Thrown when Ctrl-C or SIGTERM ended the run after cleanup. */
export class InterruptedError extends NetdoctorError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, ExitCode.Interrupted);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
