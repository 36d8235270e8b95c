/**
 * The scheduler's in-memory state and collaborators, handed explicitly to the step
 * functions (dispatch, completion, timed triggers, freshness holds, refresh, boot).
 * `Scheduler` (engine.ts) owns one and exposes parts of it read-only.
 */
import type { Clock, Logger, TypedEvents } from "../../core/index.js";
import { errorText } from "../../core/index.js";
import type { CompiledJob, TriggerCache } from "./compiled-job.js";
import { checkJobFreshness, type FreshnessGate } from "./freshness-gate.js";
import type { DueQueue } from "./due-queue.js";
import type { Executor, RunExit, RunHandle } from "./executor.js";
import type { CancelCause, EndedRun, LiveRunRecord, QueuedRun } from "./run-state.js";
import type { SchedulerEventMap } from "./scheduler-events.js";
import type { HeldRetry, SchedulerStore, StoredTrigger } from "./store/scheduler-store.js";

/** Why a dispatch happens; only timed dispatches are skipped for an empty declared interval. */
export type DispatchCause = "timed" | "event" | "manual" | "deployment" | "retry" | "queued";

/** A run between `starting` and its terminal status, as the engine follows it. */
export interface LiveRun {
  run: LiveRunRecord;
  job: CompiledJob;
  handle: RunHandle | undefined;
  timedOut: boolean;
  cancelCause: CancelCause | null;
  /** What the runtime said when it stopped the run (recorded as the reason). */
  stopReason?: string | undefined;
}

export interface EngineContext {
  readonly clock: Clock;
  readonly store: SchedulerStore;
  readonly executor: Executor;
  readonly log: Logger;
  readonly events: TypedEvents<SchedulerEventMap>;
  /** Active jobs (selectable, with triggers registered). */
  readonly jobs: Map<string, CompiledJob>;
  /** Every job ever deployed, archived ones included (for in-flight runs and revivals). */
  readonly known: Map<string, CompiledJob>;
  readonly watermarks: Map<string, number | null>;
  readonly triggerStates: Map<string, StoredTrigger>;
  /** One coalesced queued run per job. */
  readonly pending: Map<string, QueuedRun>;
  /** One freshness retry per job. */
  readonly held: Map<string, HeldRetry>;
  /** One-shot note for a job's next run: the ticks it folds in were missed while down. */
  readonly catchUpNotes: Map<string, { reason: string; sinceMs: number }>;
  readonly queue: DueQueue;
  readonly parsedTriggers: TriggerCache;
  readonly live: Map<string, LiveRun>;
  readonly activeByJob: Map<string, Set<string>>;
  /** `job.success:<ref>` / `job.fail:<ref>` → the jobs (and trigger texts) that follow it. */
  readonly followers: Map<string, Array<{ jobRef: string; trigger: string }>>;
  /** Upstream ref → refs whose freshness gate reads it. */
  readonly freshnessDownstream: Map<string, string[]>;
  /** Set by stop(): a stopped scheduler no longer owns its runs. */
  stopped: boolean;
  /** While start() restores open runs: follow-ups wait in the outbox until every run is known. */
  booting: boolean;
  /** The run finishRun() recorded last: a run that ends during its own launch is returned from it. */
  lastFinished: EndedRun | undefined;
  /** Arms the one clock timer for the earliest due entry (the coordinator's). */
  arm(): void;
  /** Hands a run's exit to completion (wired by the coordinator, so dispatch need not import completion). */
  finishRun(runId: string, exit: RunExit): void;
}

/** Runs one job's step; an error is recorded and the loop goes on with the others. */
export function safely(ctx: EngineContext, jobRef: string, step: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    const message = errorText(error);
    ctx.log.error("scheduler step failed", { jobRef, step, error: message });
    ctx.events.emit("job:error", { jobRef, step, message, atMs: ctx.clock.now() });
  }
}

/** Retries of a step the state file refused as busy: 1 s apart, for up to 10 minutes. */
const BUSY_RETRY_MS = 1_000;
const BUSY_RETRIES = 600;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/**
 * Like `safely`, but a step that another process's lock on the SQLite file refused past the busy
 * timeout is tried again 1 s later (up to 10 minutes) instead of dropped: a dropped tick would stop
 * its trigger, a dropped completion would leave its run `running` (docs/reliability.md).
 */
export function retryWhileBusy(ctx: EngineContext, jobRef: string, step: string, fn: () => void, attempt = 0): void {
  try {
    fn();
  } catch (error) {
    if (!isBusy(error) || attempt >= BUSY_RETRIES) {
      safely(ctx, jobRef, step, () => {
        throw error;
      });
      return;
    }
    ctx.log.warn("state file busy: trying again shortly", { jobRef, step, attempt: attempt + 1 });
    ctx.clock.setTimer(ctx.clock.now() + BUSY_RETRY_MS, () => {
      if (ctx.stopped) return;
      retryWhileBusy(ctx, jobRef, step, fn, attempt + 1);
      ctx.arm();
    });
  }
}

export function activeRunCount(ctx: EngineContext, jobRef: string): number {
  return ctx.activeByJob.get(jobRef)?.size ?? 0;
}

/** The job's freshness gate against the active jobs and current watermarks. */
export function jobFreshness(ctx: EngineContext, job: CompiledJob, nowMs: number): FreshnessGate {
  return checkJobFreshness(job, ctx.jobs, ctx.watermarks, nowMs);
}
