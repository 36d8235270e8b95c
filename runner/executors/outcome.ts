/**
 * How a run ended → its status (scheduling.md §11, launcher.md §8):
 * exit 0 ⇒ completed, anything else ⇒ failed; after a timeout a clean exit within the grace
 * period still counts as completed, otherwise cancelled with reason `timeout`; a user cancel is
 * always cancelled; an idle interactive service that was stopped is completed. The rule itself is
 * the scheduler's `statusOfExit`, so the executors and the scheduler never disagree.
 */
import { statusOfExit } from "../scheduler/run-outcome.js";

export const StopCause = { timeout: "timeout", user: "user", idle: "idle", runtime: "runtime" } as const;
export type StopCause = (typeof StopCause)[keyof typeof StopCause];

export type FinalStatus = "completed" | "failed" | "cancelled";

export interface ProcessExit {
  /** null when the process was ended by a signal (local processes). */
  exitCode: number | null;
  signal?: string | null;
  /** Set when the runtime lost the process (its exit is unknown): why. */
  lost?: string;
}

export interface MappedOutcome {
  status: FinalStatus;
  reason: string | null;
  cancelCause: "timeout" | "user" | "runtime" | null;
}

/** The executors' view of an exit: the status from the one shared rule (`statusOfExit`), reasons in the executor's words. */
export function mapRunOutcome(exit: ProcessExit, stopCause?: StopCause): MappedOutcome {
  const decided = statusOfExit(exit.exitCode === 0, stopCause ?? null);
  const cancelCause = decided.cancelCause === "idle" ? null : decided.cancelCause;
  return { status: decided.status, reason: executorReason(exit, stopCause, decided.status), cancelCause };
}

function executorReason(exit: ProcessExit, stopCause: StopCause | undefined, status: FinalStatus): string | null {
  switch (stopCause) {
    case "timeout":
      return status === "completed" ? "exited cleanly within the grace period after the timeout" : "timeout";
    case "user":
      return "cancelled by user";
    case "runtime":
      return "stopped by the runtime";
    case "idle":
      return "stopped after the idle timeout";
    case undefined:
      return status === "completed" ? null : describeExit(exit);
  }
}

export function describeExit(exit: ProcessExit): string {
  if (exit.lost) return `lost: ${exit.lost}`;
  if (exit.exitCode === null) return `killed by signal ${exit.signal ?? "unknown"}`;
  if (exit.exitCode === 137) return "exit code 137 (killed: SIGKILL or out of memory)";
  if (exit.exitCode === 143) return "exit code 143 (terminated by SIGTERM)";
  return `exit code ${exit.exitCode}`;
}
