/**
 * `trigger <selectors> [--refresh]`: selects active jobs by their expanded triggers
 * (triggers.md §9), applies the explicit refresh pre-flight to each (scheduling.md §8.5),
 * then dispatches each once with the picked trigger (`manual:` → default trigger swap).
 * Interactive jobs (`http:`) are started on demand the same way.
 */
import { SluiceError, errorText } from "../../core/index.js";
import type { CompiledJob } from "./compiled-job.js";
import { selectCompiledJobs, type NameScope } from "./job-selection.js";
import type { Scheduler } from "./engine.js";
import type { RunRecord } from "./run-state.js";

export interface TriggerResult {
  runs: RunRecord[];
  /** Refresh warnings ("--refresh ignored (refresh=block)", "--refresh skipped (…)"). */
  warnings: Array<{ jobRef: string; message: string }>;
  /** Refs whose watermark was cleared by the explicit refresh (targets and their cascades). */
  cleared: string[];
}

export interface TriggerOptions extends NameScope, PickedOptions {}

export interface PickedOptions {
  refresh?: boolean | undefined;
  /** `trigger --profile P`: recorded on each run (a queued run keeps it). */
  profile?: string | undefined;
}

export function triggerJobs(scheduler: Scheduler, selectors: readonly string[], options: TriggerOptions = {}): TriggerResult {
  assertRunning(scheduler);
  let picked: Array<{ job: CompiledJob; trigger: string }>;
  try {
    picked = selectCompiledJobs([...scheduler.jobs.values()], selectors, options).selected.flatMap(({ job, trigger }) => (trigger ? [{ job, trigger }] : []));
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new SluiceError("bad_selector", `cannot select jobs with ${selectors.join(" ")}: ${errorText(error)}`, {
      hint: "use a job name, a trigger pattern such as 'tag:backfill' or 'schedule:*', or a job type (batch, interactive)",
      cause: error,
    });
  }
  return triggerPicked(scheduler, picked, options);
}

/** Runs of jobs already picked with their triggers (the explicit refresh pre-flight first). */
export function triggerPicked(scheduler: Scheduler, picked: ReadonlyArray<{ job: CompiledJob; trigger: string }>, options: PickedOptions = {}): TriggerResult {
  assertRunning(scheduler);
  const result: TriggerResult = { runs: [], warnings: [], cleared: [] };
  if (options.refresh) {
    for (const { job } of picked) {
      const outcome = scheduler.explicitRefresh(job);
      if (outcome.warning) result.warnings.push({ jobRef: job.jobRef, message: outcome.warning });
      for (const ref of outcome.cleared) if (!result.cleared.includes(ref)) result.cleared.push(ref);
    }
  }
  for (const { job, trigger } of picked) result.runs.push(scheduler.dispatch(job, trigger, "manual", { profile: options.profile ?? null }));
  scheduler.rearm();
  return result;
}

function assertRunning(scheduler: Scheduler): void {
  if (!scheduler.isRunning()) {
    throw new SluiceError("scheduler_stopped", "the scheduler is not running, so nothing can be triggered", {
      hint: "start the daemon (or call scheduler.start()) and trigger again",
    });
  }
}
