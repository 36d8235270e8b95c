/** Job names and selectors → active (or archived) scheduler jobs, with errors that say what exists. */
import { SluiceError, errorText } from "../../core/index.js";
import type { CompiledJob, CompiledSelection, NameScope, Scheduler } from "../../runner/scheduler/index.js";
import { resolveJobName, selectCompiledJobs } from "../../runner/scheduler/index.js";

/**
 * A job by name (`name`, `section.name`, `jobs.…`, each optionally `<workspace>/…`): active
 * jobs first, then archived ones (for runs and logs).
 */
export function findJob(scheduler: Scheduler, name: string, options: { archived?: boolean } & NameScope = {}): CompiledJob {
  try {
    return resolveJobName(name, [...scheduler.jobs.values()], options);
  } catch (error) {
    if (options.archived && error instanceof SluiceError && (error.code === "job_not_found" || error.code === "workspace_not_found")) {
      try {
        return resolveJobName(name, [...scheduler.known.values()], options);
      } catch {
        // report the active-job error below
      }
    }
    throw error;
  }
}

/** Jobs matched by selectors (triggers.md §9) or job names; no selectors = every active job. */
export function selectActive(scheduler: Scheduler, selectors: readonly string[], scope: NameScope = {}): CompiledSelection {
  const jobs = [...scheduler.jobs.values()];
  if (selectors.length === 0) {
    // no selector: every job, or with `-w` every job of that workspace
    const inScope = scope.workspace ? jobs.filter((job) => job.workspace === scope.workspace) : jobs;
    return { selected: inScope.map((job) => ({ job, trigger: null })), followUps: [] };
  }
  try {
    return selectCompiledJobs(jobs, selectors, scope);
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new SluiceError("bad_selector", `Cannot select jobs with ${selectors.join(" ")}: ${errorText(error)}`, {
      hint: "Use a job name, a trigger pattern such as 'tag:backfill' or 'schedule:*', or a job type (batch, interactive).",
    });
  }
}
