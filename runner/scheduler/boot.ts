/**
 * Loading durable state at boot (docs/scheduling.md decision 6): jobs and watermarks,
 * timed triggers moved past the downtime (no catch-up run at boot), runs that were active
 * offered to the executor for adoption or recorded as lost, queued runs kept.
 */
import { errorText } from "../../core/index.js";
import type { TimedTrigger } from "../../schemas/trigger-types.js";
import type { CompiledJob } from "./compiled-job.js";
import { finishRun } from "./completion.js";
import { deployContextOf } from "./deploy.js";
import { triggerKey } from "./due-keys.js";
import { safely, type EngineContext } from "./engine-context.js";
import type { RunHandle } from "./executor.js";
import { planRestoredTrigger } from "./restart-plan.js";
import { followExit, track } from "./run-start.js";
import { skippedRun } from "./run-state.js";
import type { StoredTrigger } from "./store/scheduler-store.js";
import { saveTrigger } from "./timed-triggers.js";

export function loadJobs(ctx: EngineContext): void {
  const compile = deployContextOf(ctx).compile;
  for (const stored of ctx.store.loadJobs()) {
    safely(ctx, stored.jobRef, "load job", () => {
      const job = compile(stored.definition, stored.jobHash);
      ctx.known.set(job.jobRef, job);
      if (stored.active) ctx.jobs.set(job.jobRef, job);
      ctx.watermarks.set(job.jobRef, stored.watermarkMs);
    });
  }
}

export function restoreTriggers(ctx: EngineContext, now: number, lastAliveMs: number | null): void {
  for (const state of ctx.store.loadTriggers()) {
    const job = ctx.jobs.get(state.jobRef);
    const trigger = job?.timedTriggers.find((t) => t.raw === state.trigger);
    if (!job || !trigger || !state.active) {
      ctx.triggerStates.set(triggerKey(state.jobRef, state.trigger), state);
      continue;
    }
    safely(ctx, job.jobRef, "restore trigger", () => restoreTrigger(ctx, job, trigger, state, now, lastAliveMs));
  }
}

function restoreTrigger(ctx: EngineContext, job: CompiledJob, trigger: TimedTrigger, stored: StoredTrigger, now: number, lastAliveMs: number | null): void {
  const { state, missed } = planRestoredTrigger(trigger, stored, job.timezone, now, lastAliveMs);
  saveTrigger(ctx, state);
  if (!missed || state.nextFireMs === null) return;
  ctx.catchUpNotes.set(job.jobRef, { reason: missed.note, sinceMs: missed.downSinceMs });
  ctx.events.emit("trigger:missed", {
    jobRef: job.jobRef,
    trigger: trigger.raw,
    missedFromMs: missed.missedFromMs,
    nextFireMs: state.nextFireMs,
    reason: missed.event,
  });
}

export function loadHeld(ctx: EngineContext): void {
  for (const held of ctx.store.loadHeld()) if (ctx.jobs.has(held.jobRef)) ctx.held.set(held.jobRef, held);
}

export async function restoreOpenRuns(ctx: EngineContext): Promise<void> {
  for (const run of ctx.store.openRuns()) {
    const job = ctx.known.get(run.jobRef);
    if (run.status === "pending") {
      if (job && ctx.jobs.has(job.jobRef)) ctx.pending.set(run.jobRef, run);
      else ctx.store.updateRun(skippedRun(run, ctx.clock.now(), { reason: "job archived while queued" }));
      continue;
    }
    let handle: RunHandle | null = null;
    try {
      handle = (await ctx.executor.adopt?.(run.runId)) ?? null;
    } catch (error) {
      ctx.log.warn("could not adopt run", { runId: run.runId, error: errorText(error) });
    }
    if (job && handle) {
      track(ctx, run, job);
      const live = ctx.live.get(run.runId);
      if (live) {
        live.handle = handle;
        followExit(ctx, run.runId, job.jobRef, handle);
      }
      continue;
    }
    if (!job) continue;
    // the process is gone: the runtime lost it, which counts as a runtime cancellation (job.fail)
    track(ctx, run, job);
    const live = ctx.live.get(run.runId);
    if (live) live.cancelCause = "runtime";
    finishRun(ctx, run.runId, { exitCode: null, killed: true, message: `lost: ${ctx.executor.lostReason ?? "the daemon stopped while the run was active"}` });
  }
}

/** Follow-up and freshness edges between the active jobs (after boot and after every deploy). */
export function rebuildIndexes(ctx: EngineContext): void {
  ctx.followers.clear();
  ctx.freshnessDownstream.clear();
  for (const job of ctx.jobs.values()) {
    for (const followUp of job.followUps) {
      const key = `${followUp.type}:${followUp.jobRef}`;
      const list = ctx.followers.get(key) ?? [];
      list.push({ jobRef: job.jobRef, trigger: followUp.raw });
      ctx.followers.set(key, list);
    }
    for (const upstream of job.freshnessUpstreams) {
      const list = ctx.freshnessDownstream.get(upstream) ?? [];
      list.push(job.jobRef);
      ctx.freshnessDownstream.set(upstream, list);
    }
  }
}
