/**
 * The only place where errors become words and exit codes.
 * Exit codes: 0 success, 1 user error, 2 daemon unreachable.
 */
import { errorText, isSluiceError } from "../core/index.js";

export const ExitCode = { ok: 0, userError: 1, daemonUnreachable: 2 } as const;

/** Thrown by commands that want a specific exit code without an error message. */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

export function reportError(error: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  if (error instanceof ExitWith) return error.exitCode;
  if (isSluiceError(error)) {
    write(`error: ${error.message}\n`);
    if (error.hint) write(`hint: ${error.hint}\n`);
    return error.code === "daemon_unreachable" ? ExitCode.daemonUnreachable : ExitCode.userError;
  }
  write(`error: ${errorText(error)}\n`);
  if (error instanceof Error && error.stack && process.env.SLUICE_DEBUG) write(`${error.stack}\n`);
  return ExitCode.userError;
}
