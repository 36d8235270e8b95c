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

/** What stopped a run, if anything: the scheduler's timeout or a cancel cause. */
export type StopKind = "timeout" | CancelCause | null;

export interface ExitStatus {
  outcome: RunOutcome;
  status: Extract<RunStatus, "completed" | "failed" | "cancelled">;
  cancelCause: CancelCause | null;
}

/**
 * THE rule from an exit to a status, shared by the scheduler and the executors' own outcomes:
 * a user cancel is cancelled and an idle stop completed whatever the exit code; after a timeout
 * a clean exit still completes, anything else is cancelled (timeout); a runtime stop is
 * cancelled; otherwise exit 0 completes and anything else fails.
 */
export function statusOfExit(clean: boolean, stop: StopKind): ExitStatus {
  switch (stop) {
    case "user":
      return { outcome: "cancelled", status: "cancelled", cancelCause: "user" };
    case "idle":
      return { outcome: "cancelled", status: "completed", cancelCause: "idle" };
    case "timeout":
      return clean ? { outcome: "succeeded", status: "completed", cancelCause: null } : { outcome: "timed_out", status: "cancelled", cancelCause: "timeout" };
    case "runtime":
      return { outcome: "cancelled", status: "cancelled", cancelCause: "runtime" };
    case null:
      return clean ? { outcome: "succeeded", status: "completed", cancelCause: null } : { outcome: "failed", status: "failed", cancelCause: null };
  }
}

export function classifyExit(exit: RunExit, ctx: ExitContext): ClassifiedExit {
  const timeout = formatDuration(ctx.timeoutMs);
  // a run that never reached `running` failed to start, whatever its exit
  const clean = exit.exitCode === 0 && ctx.wasRunning;
  const stop: StopKind = ctx.cancelCause === "user" || ctx.cancelCause === "idle" ? ctx.cancelCause : ctx.timedOut ? "timeout" : ctx.cancelCause;
  const decided = statusOfExit(clean, stop);
  return { ...decided, reason: reasonOf(exit, ctx, decided, timeout) };
}

function reasonOf(exit: RunExit, ctx: ExitContext, decided: ExitStatus, timeout: string): string | null {
  switch (decided.cancelCause) {
    case "user":
      return "cancelled by user";
    case "idle":
      return ctx.stopReason ?? `stopped after ${timeout} without requests (idle timeout)`;
    case "timeout": {
      const end = exit.killed ? `killed after grace period ${formatDuration(ctx.gracePeriodMs)}` : `exited with code ${String(exit.exitCode)} after SIGTERM`;
      return `timed out after ${timeout}; ${end}`;
    }
    case "runtime":
      return ctx.stopReason ?? exit.message ?? "cancelled by the runtime";
    case null:
      if (decided.status === "failed") return exit.message ?? `exit code ${String(exit.exitCode)}`;
      return ctx.timedOut ? `timed out after ${timeout} but exited cleanly on SIGTERM` : ctx.reason;
  }
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
