/**
 * How a run's exit becomes its terminal status, reason and follow-up event (scheduling.md
 * §7, §11 and docs/scheduling.md decision 5). Pure.
 */
import type { RunExit } from "./executor.js";
import { formatDuration } from "./format.js";
import type { CancelCause, RunStatus } from "./run-state.js";
import type { RunOutcome } from "./scheduler-events.js";

export interface ExitContext {
  /** The run reached `running` (an executor that failed to start never did). */
  wasRunning: boolean;
  timedOut: boolean;
  cancelCause: CancelCause | null;
  timeoutMs: number;
  gracePeriodMs: number;
  /** The run's reason so far (kept on a plain success). */
  reason: string | null;
}

export interface ClassifiedExit {
  outcome: RunOutcome;
  status: Extract<RunStatus, "completed" | "failed" | "cancelled">;
  reason: string | null;
  cancelCause: CancelCause | null;
}

export function classifyExit(exit: RunExit, ctx: ExitContext): ClassifiedExit {
  const timeout = formatDuration(ctx.timeoutMs);
  if (exit.exitCode === 0 && ctx.wasRunning) {
    const reason = ctx.timedOut ? `timed out after ${timeout} but exited cleanly on SIGTERM` : ctx.reason;
    return { outcome: "succeeded", status: "completed", reason, cancelCause: null };
  }
  if (ctx.timedOut) {
    const end = exit.killed
      ? `killed after grace period ${formatDuration(ctx.gracePeriodMs)}`
      : `exited with code ${String(exit.exitCode)} after SIGTERM`;
    return { outcome: "timed_out", status: "cancelled", reason: `timed out after ${timeout}; ${end}`, cancelCause: "timeout" };
  }
  if (ctx.cancelCause) {
    const reason = ctx.cancelCause === "user" ? "cancelled by user" : (exit.message ?? "cancelled by the runtime");
    return { outcome: "cancelled", status: "cancelled", reason, cancelCause: ctx.cancelCause };
  }
  return { outcome: "failed", status: "failed", reason: exit.message ?? `exit code ${String(exit.exitCode)}`, cancelCause: null };
}

/** `job.success:<ref>` on success; `job.fail:<ref>` on failure, timeout or loss by the runtime; nothing for a user cancel. */
export function followUpEvent(jobRef: string, classified: ClassifiedExit): string | null {
  if (classified.outcome === "succeeded") return `job.success:${jobRef}`;
  if (classified.outcome === "cancelled" && classified.cancelCause === "user") return null;
  return `job.fail:${jobRef}`;
}
