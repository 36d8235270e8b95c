/**
 * How a run ended → its status (scheduling.md §11, launcher.md §8):
 * exit 0 ⇒ completed, anything else ⇒ failed; after a timeout a clean exit within the grace
 * period still counts as completed, otherwise cancelled with reason `timeout`; a user cancel is
 * always cancelled; an idle interactive service that was stopped is completed.
 */
export const StopCause = { timeout: "timeout", user: "user", idle: "idle", runtime: "runtime" } as const;
export type StopCause = (typeof StopCause)[keyof typeof StopCause];

export type FinalStatus = "completed" | "failed" | "cancelled";

export interface ProcessExit {
  /** null when the process was ended by a signal (local processes). */
  exitCode: number | null;
  signal?: string | null;
}

export interface MappedOutcome {
  status: FinalStatus;
  reason: string | null;
  cancelCause: "timeout" | "user" | "runtime" | null;
}

export function mapRunOutcome(exit: ProcessExit, stopCause?: StopCause): MappedOutcome {
  const clean = exit.exitCode === 0;
  switch (stopCause) {
    case undefined:
      return clean ? { status: "completed", reason: null, cancelCause: null } : { status: "failed", reason: describeExit(exit), cancelCause: null };
    case "timeout":
      return clean
        ? { status: "completed", reason: "exited cleanly within the grace period after the timeout", cancelCause: null }
        : { status: "cancelled", reason: "timeout", cancelCause: "timeout" };
    case "user":
      return { status: "cancelled", reason: "cancelled by user", cancelCause: "user" };
    case "runtime":
      return { status: "cancelled", reason: "stopped by the runtime", cancelCause: "runtime" };
    case "idle":
      return { status: "completed", reason: "stopped after the idle timeout", cancelCause: null };
  }
}

export function describeExit(exit: ProcessExit): string {
  if (exit.exitCode === null) return `killed by signal ${exit.signal ?? "unknown"}`;
  if (exit.exitCode === 137) return "exit code 137 (killed: SIGKILL or out of memory)";
  if (exit.exitCode === 143) return "exit code 143 (terminated by SIGTERM)";
  return `exit code ${exit.exitCode}`;
}
