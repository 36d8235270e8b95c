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
  /** What the runtime said when it stopped the run (runtime and idle stops). */
  stopReason?: string | undefined;
}

export interface ClassifiedExit {
  outcome: RunOutcome;
  status: Extract<RunStatus, "completed" | "failed" | "cancelled">;
  reason: string | null;
  cancelCause: CancelCause | null;
}

export function classifyExit(exit: RunExit, ctx: ExitContext): ClassifiedExit {
  const timeout = formatDuration(ctx.timeoutMs);
  // a stop the user or the idle timer asked for decides, whatever the exit code
  if (ctx.cancelCause === "user") return { outcome: "cancelled", status: "cancelled", reason: "cancelled by user", cancelCause: "user" };
  if (ctx.cancelCause === "idle") {
    const reason = ctx.stopReason ?? `stopped after ${timeout} without requests (idle timeout)`;
    return { outcome: "cancelled", status: "completed", reason, cancelCause: "idle" };
  }
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
    const reason = ctx.stopReason ?? exit.message ?? "cancelled by the runtime";
    return { outcome: "cancelled", status: "cancelled", reason, cancelCause: ctx.cancelCause };
  }
  return { outcome: "failed", status: "failed", reason: exit.message ?? `exit code ${String(exit.exitCode)}`, cancelCause: null };
}

/**
 * `job.success:<ref>` on success; `job.fail:<ref>` on failure, timeout or loss by the runtime;
 * nothing for a user cancel or an idle stop of an interactive service.
 */
export function followUpEvent(jobRef: string, classified: ClassifiedExit): string | null {
  if (classified.outcome === "succeeded") return `job.success:${jobRef}`;
  if (classified.outcome === "cancelled" && (classified.cancelCause === "user" || classified.cancelCause === "idle")) return null;
  return `job.fail:${jobRef}`;
}
