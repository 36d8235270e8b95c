/**
 * Handing a `starting` run to the executor. A slow (async) start never blocks the loop:
 * the run stays `starting` until its handle arrives; a start that throws or rejects ends
 * the run as failed. Once running, the run-time timeout is armed (not for interactive jobs).
 */
import { errorText } from "../../core/index.js";
import type { CompiledJob } from "./compiled-job.js";
import { timeoutKey } from "./due-keys.js";
import { retryWhileBusy, safely, type EngineContext } from "./engine-context.js";
import type { RunHandle, RunSpec } from "./executor.js";
import { runningRun, type LiveRunRecord, type StartingRun } from "./run-state.js";
import { crashPoint } from "../../core/crash-point.js";

/** Follows `run` as live and counts it against its job's concurrency. */
export function track(ctx: EngineContext, run: LiveRunRecord, job: CompiledJob): void {
  ctx.live.set(run.runId, { run, job, handle: undefined, timedOut: false, cancelCause: null });
  let set = ctx.activeByJob.get(job.jobRef);
  if (!set) {
    set = new Set();
    ctx.activeByJob.set(job.jobRef, set);
  }
  set.add(run.runId);
}

export function startRun(ctx: EngineContext, run: StartingRun, job: CompiledJob): void {
  const spec: RunSpec = {
    runId: run.runId,
    jobRef: job.jobRef,
    trigger: run.trigger,
    refresh: run.refresh,
    intervalStartMs: run.intervalStartMs ?? ctx.clock.now(),
    intervalEndMs: run.intervalEndMs ?? ctx.clock.now(),
    intervalTimezone: job.timezone,
    job: job.definition,
    number: run.number,
    ...(run.profile ? { profile: run.profile } : {}),
  };
  const fail = (error: unknown) =>
    safely(ctx, job.jobRef, "executor start failed", () =>
      ctx.finishRun(run.runId, { exitCode: null, killed: false, message: `executor could not start the run: ${errorText(error)}` }),
    );
  try {
    const started = ctx.executor.start(spec);
    if (started instanceof Promise) {
      started.then(
        (handle) => safely(ctx, job.jobRef, "attach run", () => attach(ctx, run.runId, handle)),
        fail,
      );
    } else {
      attach(ctx, run.runId, started);
    }
  } catch (error) {
    fail(error);
  }
}

/** Routes the handle's exit to completion. */
export function followExit(ctx: EngineContext, runId: string, jobRef: string, handle: RunHandle): void {
  handle.onExit((exit) => retryWhileBusy(ctx, jobRef, "run exit", () => ctx.finishRun(runId, exit)));
}

function attach(ctx: EngineContext, runId: string, handle: RunHandle): void {
  const live = ctx.live.get(runId);
  if (!live) {
    handle.kill();
    return;
  }
  live.handle = handle;
  const now = ctx.clock.now();
  live.run = runningRun(live.run, now);
  ctx.store.updateRun(live.run);
  if (!live.job.isIdleTimeout) ctx.queue.set(timeoutKey(runId), now + live.job.timeoutMs);
  ctx.events.emit("run:started", { run: live.run });
  crashPoint("run-running");
  if (live.cancelCause) handle.stop(live.job.gracePeriodMs);
  followExit(ctx, runId, live.job.jobRef, handle);
  ctx.arm();
}
