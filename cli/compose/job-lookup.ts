/** Job names and selectors → active (or archived) scheduler jobs, with errors that say what exists. */
import { SluiceError, errorText } from "../../core/index.js";
import type { CompiledJob, Scheduler } from "../../runner/scheduler/index.js";
import type { SelectableJob } from "../../schemas/index.js";
import { isSelector, resolveJobRef, selectJobs } from "../../schemas/index.js";

/** A job by name (`name`, `section.name`, `jobs.…`): active jobs first, then archived ones (for runs and logs). */
export function findJob(scheduler: Scheduler, name: string, options: { archived?: boolean } = {}): CompiledJob {
  const active = [...scheduler.jobs.keys()];
  try {
    return scheduler.jobs.get(resolveJobRef(name, active)) as CompiledJob;
  } catch (error) {
    if (options.archived) {
      try {
        const ref = resolveJobRef(name, [...scheduler.known.keys()]);
        const job = scheduler.known.get(ref);
        if (job) return job;
      } catch {
        // report the active-job error below
      }
    }
    const names = [...scheduler.jobs.values()].map((j) => j.shortName).sort();
    throw new SluiceError("job_not_found", `No deployed job '${name}': ${errorText(error)}`, {
      hint: names.length > 0 ? `Deployed jobs: ${names.join(", ")}.` : "Nothing is deployed yet: push a workspace or run `sluice deploy <dir>`.",
    });
  }
}

/** Jobs matched by selectors (triggers.md §9) or job names; no selectors = every active job. */
export function selectActive(scheduler: Scheduler, selectors: readonly string[]): { selected: Array<{ job: CompiledJob; trigger: string | null }>; followUps: CompiledJob[] } {
  const jobs = [...scheduler.jobs.values()];
  if (selectors.length === 0) return { selected: jobs.map((job) => ({ job, trigger: null })), followUps: [] };
  for (const s of selectors) if (!isSelector(s)) findJob(scheduler, s);
  try {
    const selection = selectJobs(
      jobs.map((job) => job.definition as unknown as SelectableJob),
      selectors,
    );
    const byRef = (ref: string) => scheduler.jobs.get(ref) as CompiledJob;
    return {
      selected: selection.selected.map((s) => ({ job: byRef(s.job.job_ref), trigger: s.trigger })),
      followUps: selection.followUps.map((s) => byRef(s.job.job_ref)),
    };
  } catch (error) {
    throw new SluiceError("bad_selector", `Cannot select jobs with ${selectors.join(" ")}: ${errorText(error)}`, {
      hint: "Use a job name, a trigger pattern such as 'tag:backfill' or 'schedule:*', or a job type (batch, interactive).",
    });
  }
}
