/**
 * `trigger <selectors> [--refresh]`: selects active jobs by their expanded triggers
 * (triggers.md §9), applies the explicit refresh pre-flight to each (scheduling.md §8.5),
 * then dispatches each once with the picked trigger (`manual:` → default trigger swap).
 * Interactive jobs (`http:`) are started on demand the same way.
 */
import { SluiceError, errorText } from "../../core/index.js";
import type { CompiledJob } from "./compiled-job.js";
import { selectJobs, type SelectableJob } from "./deps.js";
import type { Scheduler } from "./engine.js";
import type { RunRecord } from "./run-state.js";

export interface TriggerResult {
  runs: RunRecord[];
  /** Refresh warnings ("--refresh ignored (refresh=block)", "--refresh skipped (…)"). */
  warnings: Array<{ jobRef: string; message: string }>;
  /** Refs whose watermark was cleared by the explicit refresh (targets and their cascades). */
  cleared: string[];
}

export function triggerJobs(scheduler: Scheduler, selectors: readonly string[], options: { refresh?: boolean } = {}): TriggerResult {
  if (!scheduler.isRunning()) {
    throw new SluiceError("scheduler_stopped", "the scheduler is not running, so nothing can be triggered", {
      hint: "start the daemon (or call scheduler.start()) and trigger again",
    });
  }
  const active = [...scheduler.jobs.values()];
  const byRef = new Map(active.map((job) => [job.jobRef, job]));
  let selection;
  try {
    selection = selectJobs(
      active.map((job) => job.definition as unknown as SelectableJob),
      selectors,
    );
  } catch (error) {
    throw new SluiceError("bad_selector", `cannot select jobs with ${selectors.join(" ")}: ${errorText(error)}`, {
      hint: "use a job name, a trigger pattern such as 'tag:backfill' or 'schedule:*', or a job type (batch, interactive)",
      cause: error,
    });
  }
  const picked: Array<{ job: CompiledJob; trigger: string }> = [];
  for (const entry of selection.selected) {
    const job = byRef.get(entry.job.job_ref);
    if (job && entry.trigger) picked.push({ job, trigger: entry.trigger });
  }
  const result: TriggerResult = { runs: [], warnings: [], cleared: [] };
  if (options.refresh) {
    for (const { job } of picked) {
      const outcome = scheduler.explicitRefresh(job);
      if (outcome.warning) result.warnings.push({ jobRef: job.jobRef, message: outcome.warning });
      for (const ref of outcome.cleared) if (!result.cleared.includes(ref)) result.cleared.push(ref);
    }
  }
  for (const { job, trigger } of picked) result.runs.push(scheduler.dispatch(job, trigger, "manual"));
  scheduler.rearm();
  return result;
}
