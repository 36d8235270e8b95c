/**
 * How runs end: an exit becomes a terminal status (run-outcome.ts) written together with
 * the watermark advance and the `refresh: always` cascade in one transaction; then the
 * follow-ups, the freshness-held downstreams and the job's queued run get their turn.
 * Timeouts and user cancels stop a run with one SIGTERM and kill it after the grace period.
 */
import { dispatch, launch } from "./dispatch.js";
import { killKey, timeoutKey } from "./due-keys.js";
import { activeRunCount, safely, type EngineContext, type LiveRun } from "./engine-context.js";
import type { RunExit } from "./executor.js";
import { releaseHeld } from "./freshness-hold.js";
import { clearCascade } from "./refresh.js";
import { classifyExit, followUpEvent } from "./run-outcome.js";
import { endedRun, type RunRecord } from "./run-state.js";
import { crashPoint } from "../../core/crash-point.js";

export function finishRun(ctx: EngineContext, runId: string, exit: RunExit): void {
  const live = ctx.live.get(runId);
  // a stopped scheduler no longer owns its runs: the next one adopts or records them
  if (!live || ctx.stopped) return;
  const now = ctx.clock.now();
  const { job } = live;
  ctx.queue.delete(timeoutKey(runId));
  ctx.queue.delete(killKey(runId));
  const classified = classifyExit(exit, {
    wasRunning: live.run.status === "running",
    timedOut: live.timedOut,
    cancelCause: live.cancelCause,
    timeoutMs: job.timeoutMs,
    gracePeriodMs: job.gracePeriodMs,
    reason: live.run.reason,
    stopReason: live.stopReason,
  });
  const { outcome, status, reason, cancelCause } = classified;
  const followUp = followUpEvent(job.jobRef, classified);
  crashPoint("run-finishing");
  let cleared: string[] = [];
  const run = ctx.store.transaction(() => {
    const finished = endedRun(live.run, status, now, { exitCode: exit.exitCode, reason, cancelCause });
    ctx.store.updateRun(finished);
    if (followUp) ctx.store.addFollowUp(runId, followUp, now);
    if (outcome === "succeeded" && finished.intervalEndMs !== null) {
      ctx.watermarks.set(job.jobRef, ctx.store.advanceWatermark(job.jobRef, finished.intervalEndMs));
      if (job.refreshPolicy === "always") cleared = clearCascade(ctx, job.jobRef, false);
    }
    return finished;
  });
  crashPoint("run-finished");
  ctx.lastFinished = run;
  ctx.live.delete(runId);
  ctx.activeByJob.get(job.jobRef)?.delete(runId);
  ctx.events.emit("run:finished", { run, outcome });
  if (cleared.length > 0) ctx.events.emit("refresh:cleared", { rootRef: job.jobRef, cleared, atMs: now });
  if (followUp && !ctx.booting) deliverFollowUps(ctx, runId, followUp);
  if (outcome === "succeeded") releaseHeld(ctx, job.jobRef);
  safely(ctx, job.jobRef, "start queued run", () => startPending(ctx, job.jobRef));
  ctx.arm();
}

/**
 * The follow-up runs of a finished run and the removal of its outbox row, in one transaction:
 * a crash before the commit leaves neither (the next start delivers the row), after it both.
 */
function deliverFollowUps(ctx: EngineContext, runId: string, event: string): void {
  ctx.store.transaction(() => {
    for (const follower of ctx.followers.get(event) ?? []) {
      const followerJob = ctx.jobs.get(follower.jobRef);
      if (followerJob) safely(ctx, follower.jobRef, "follow-up", () => dispatch(ctx, followerJob, follower.trigger, "event"));
    }
    ctx.store.deleteFollowUp(runId);
  });
}

/** At start, after open runs are restored: follow-ups recorded but never dispatched (a crash, or runs found lost at boot). */
export function deliverOwedFollowUps(ctx: EngineContext): void {
  for (const owed of ctx.store.owedFollowUps()) {
    safely(ctx, owed.event, "owed follow-up", () => deliverFollowUps(ctx, owed.runId, owed.event));
  }
}

/** A slot freed (or the daemon booted): the job's queued run starts if its limit allows. */
export function startPending(ctx: EngineContext, jobRef: string): void {
  const queued = ctx.pending.get(jobRef);
  const job = ctx.jobs.get(jobRef);
  if (!queued || !job) return;
  if (job.concurrency !== null && activeRunCount(ctx, jobRef) >= job.concurrency) return;
  launch(ctx, job, queued.trigger, "queued", queued, { profile: queued.profile });
}

export function onTimeout(ctx: EngineContext, runId: string): void {
  const live = ctx.live.get(runId);
  if (!live || live.run.status !== "running") return;
  live.timedOut = true;
  stopThenKill(ctx, runId, live);
}

/**
 * The runtime stops a run (an idle interactive service, a service stopped with the daemon or
 * its repo): one SIGTERM, SIGKILL after grace; the cause and reason decide its record.
 */
export function stopRun(ctx: EngineContext, runId: string, cause: "runtime" | "idle", reason?: string): RunRecord | undefined {
  const live = ctx.live.get(runId);
  if (!live) return ctx.store.getRun(runId);
  if (live.cancelCause === null) {
    live.cancelCause = cause;
    live.stopReason = reason;
  }
  stopThenKill(ctx, runId, live);
  ctx.arm();
  return live.run;
}

/** User cancel: a queued run is dropped, an active one gets SIGTERM, then SIGKILL after grace. */
export function cancelRun(ctx: EngineContext, runId: string): RunRecord | undefined {
  for (const [jobRef, queued] of ctx.pending) {
    if (queued.runId !== runId) continue;
    const run = endedRun(queued, "cancelled", ctx.clock.now(), { exitCode: null, reason: "cancelled by user", cancelCause: "user" });
    ctx.store.updateRun(run);
    ctx.pending.delete(jobRef);
    ctx.events.emit("run:finished", { run, outcome: "cancelled" });
    return run;
  }
  const live = ctx.live.get(runId);
  if (!live) return ctx.store.getRun(runId);
  live.cancelCause = "user";
  stopThenKill(ctx, runId, live);
  ctx.arm();
  return live.run;
}

/** One SIGTERM now; SIGKILL after the grace period unless the run already ended on the SIGTERM. */
function stopThenKill(ctx: EngineContext, runId: string, live: LiveRun): void {
  live.handle?.stop(live.job.gracePeriodMs);
  if (ctx.live.has(runId)) ctx.queue.set(killKey(runId), ctx.clock.now() + live.job.gracePeriodMs);
}
