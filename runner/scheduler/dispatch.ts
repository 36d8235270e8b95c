/**
 * A trigger wants a run: concurrency first (one coalesced queued run per job), then the
 * freshness gate (a skipped record plus one pending retry), then the window (timed runs
 * of an empty declared interval are skipped), then the run starts. docs/scheduling.md
 * decisions 3, 4 and 7.
 */
import type { ParsedTrigger } from "../../schemas/trigger-types.js";
import type { CompiledJob } from "./compiled-job.js";
import { computeRunWindow, parseTrigger } from "./deps.js";
import { activeRunCount, jobFreshness, type DispatchCause, type EngineContext } from "./engine-context.js";
import { iso } from "./format.js";
import { newRunRecord, skippedRun, startingRun, type QueuedRun, type RunRecord, type SkippedRun, type StartingRun } from "./run-state.js";
import { startRun, track } from "./run-start.js";
import type { HeldRetry } from "./store/scheduler-store.js";
import { crashPoint } from "../../core/crash-point.js";

/** What a run request carries beyond its trigger; a queued run keeps it until it starts. */
export interface RunRequestOptions {
  /** `trigger --profile P`. */
  profile?: string | null | undefined;
  /** Replaces the default reason of a started run (e.g. "manual run by `sluice launch`"). */
  reason?: string | undefined;
}

/** Returns the record created (started, queued or skipped). */
export function dispatch(ctx: EngineContext, job: CompiledJob, trigger: string, cause: DispatchCause, request: RunRequestOptions = {}): RunRecord {
  const limit = job.concurrency;
  if (limit !== null && activeRunCount(ctx, job.jobRef) >= limit) {
    const activeText = describeActive(ctx, job.jobRef);
    const existing = ctx.pending.get(job.jobRef);
    if (existing) {
      const reason = `coalesced into queued ${existing.runId} (concurrency limit ${limit}; ${activeText})`;
      return recordSkipped(ctx, job, trigger, reason, null);
    }
    const run = ctx.store.insertRun({
      ...newRunRecord(job.jobRef, trigger, "pending", `concurrency limit ${limit} reached: ${activeText}`, ctx.clock.now()),
      profile: request.profile ?? null,
    });
    ctx.pending.set(job.jobRef, run);
    ctx.events.emit("run:queued", { run });
    return run;
  }
  return launch(ctx, job, trigger, cause, null, request);
}

/** Past the concurrency check: gate, window, then start (a new record, or the queued one). */
export function launch(ctx: EngineContext, job: CompiledJob, trigger: string, cause: DispatchCause, queued: QueuedRun | null, request: RunRequestOptions = {}): RunRecord {
  const now = ctx.clock.now();
  const watermark = ctx.watermarks.get(job.jobRef) ?? null;
  const refresh = watermark === null || job.refreshPolicy === "always";
  const window = computeRunWindow({
    intervalTrigger: job.defaultTrigger ?? parsed(ctx, trigger),
    nowMs: now,
    watermarkMs: watermark,
    tz: job.timezone,
    declaredInterval: job.interval?.start ? { start: job.interval.start, end: job.interval.end } : undefined,
    refresh,
  });
  const gate = jobFreshness(ctx, job, now);
  if (!gate.fresh) {
    const reason = `held by freshness: ${gate.reason}`;
    holdForFreshness(ctx, job.jobRef, trigger, reason, now);
    return recordSkipped(ctx, job, trigger, reason, window, queued);
  }
  if (window.skipReason && (cause === "timed" || cause === "queued")) {
    return recordSkipped(ctx, job, trigger, window.skipReason, window, queued);
  }
  // a catch-up note explains a timed run after downtime; a manual run is never catch-up
  const note = cause === "timed" || cause === "queued" ? ctx.catchUpNotes.get(job.jobRef) : undefined;
  const patch = {
    trigger,
    refresh,
    intervalStartMs: window.startMs,
    intervalEndMs: window.endMs,
    reason: request.reason ?? note?.reason ?? null,
  };
  const run = ctx.store.transaction(() => {
    let saved: StartingRun;
    if (queued) {
      saved = startingRun(queued, now, patch);
      ctx.store.updateRun(saved);
    } else {
      saved = ctx.store.insertRun({ ...newRunRecord(job.jobRef, trigger, "starting", patch.reason, ctx.clock.now()), ...patch, profile: request.profile ?? null });
    }
    if (ctx.held.delete(job.jobRef)) ctx.store.deleteHeld(job.jobRef);
    return saved;
  });
  if (note) ctx.catchUpNotes.delete(job.jobRef);
  if (queued) ctx.pending.delete(job.jobRef);
  track(ctx, run, job);
  crashPoint("run-recorded");
  startRun(ctx, run, job);
  return ctx.live.get(run.runId)?.run ?? (ctx.lastFinished?.runId === run.runId ? ctx.lastFinished : run);
}

/** One pending retry per job; a repeated hold keeps the first since-when and takes the new reason. */
function holdForFreshness(ctx: EngineContext, jobRef: string, trigger: string, reason: string, nowMs: number): void {
  const held: HeldRetry = { jobRef, trigger, sinceMs: ctx.held.get(jobRef)?.sinceMs ?? nowMs, reason };
  ctx.store.transaction(() => {
    ctx.store.setHeld(held);
    ctx.held.set(jobRef, held);
  });
}

/** A visible `skipped` record: a new one, or the job's queued run turned skipped. */
function recordSkipped(
  ctx: EngineContext,
  job: CompiledJob,
  trigger: string,
  reason: string,
  window: { startMs: number; endMs: number } | null,
  queued: QueuedRun | null = null,
): SkippedRun {
  const now = ctx.clock.now();
  const patch = { reason, intervalStartMs: window?.startMs ?? null, intervalEndMs: window?.endMs ?? null };
  let run: SkippedRun;
  if (queued) {
    run = skippedRun(queued, now, patch);
    ctx.store.updateRun(run);
    ctx.pending.delete(job.jobRef);
  } else {
    run = ctx.store.insertRun({ ...newRunRecord(job.jobRef, trigger, "skipped", reason, ctx.clock.now()), ...patch });
  }
  ctx.events.emit("run:skipped", { run });
  return run;
}

function describeActive(ctx: EngineContext, jobRef: string): string {
  const runs = [...(ctx.activeByJob.get(jobRef) ?? [])].map((id) => ctx.live.get(id)?.run).filter((r) => r !== undefined);
  return runs.map((r) => `${r.runId} ${r.status} since ${iso(r.startedMs ?? r.sinceMs)}`).join(", ");
}

function parsed(ctx: EngineContext, raw: string): ParsedTrigger {
  let trigger = ctx.parsedTriggers.get(raw);
  if (!trigger) {
    trigger = parseTrigger(raw);
    ctx.parsedTriggers.set(raw, trigger);
  }
  return trigger;
}
