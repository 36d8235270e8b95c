/** Scheduler records → the API's JSON views (docs/daemon.md, `--output json`). */
import type { CompiledJob, RunRecord, Scheduler } from "../../runner/scheduler/index.js";
import { shortJobName } from "../../runner/scheduler/index.js";
import { describeTrigger, splitJobKey } from "../../schemas/index.js";
import type { DashboardJobView, JobView, RunView } from "../daemon/runtime-types.js";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function runView(run: RunRecord, workspace: string | null, where: string | null = null): RunView {
  return {
    runId: run.runId,
    number: run.number,
    job: shortJobName(run.jobRef),
    jobRef: splitJobKey(run.jobRef).ref,
    key: run.jobRef,
    workspace: splitJobKey(run.jobRef).workspace ?? workspace,
    profile: run.profile,
    trigger: run.trigger,
    status: run.status,
    reason: run.reason,
    createdAt: new Date(run.createdMs).toISOString(),
    startedAt: iso(run.startedMs),
    finishedAt: iso(run.finishedMs),
    intervalStart: iso(run.intervalStartMs),
    intervalEnd: iso(run.intervalEndMs),
    refresh: run.refresh,
    exitCode: run.exitCode,
    cancelCause: run.cancelCause,
    where,
  };
}

export function jobView(job: CompiledJob, scheduler: Scheduler, workspace: string | null, whereOf: (runId: string) => string | null = () => null): JobView {
  const next = scheduler.nextFireOf(job);
  const last = scheduler.store.runsOfJob(job.jobRef, 1)[0];
  return {
    jobRef: job.ref,
    key: job.jobRef,
    name: job.shortName,
    workspace: job.workspace ?? workspace,
    type: job.jobType,
    triggers: job.expandedTriggers,
    defaultTrigger: job.defaultTrigger?.raw ?? null,
    nextFire: next ? new Date(next.atMs).toISOString() : null,
    lastRun: last ? runView(last, workspace, whereOf(last.runId)) : null,
  };
}

/** The dashboard's row for a job: the job view plus tags, edges into it and why it is held. */
export function dashboardJobView(job: CompiledJob, scheduler: Scheduler, input: { workspace: string | null; held: string | null; archived: boolean; whereOf?: (runId: string) => string | null }): DashboardJobView {
  const expose = (job.definition as { expose?: { display_name?: string; tags?: string | string[] } }).expose ?? {};
  const tags = expose.tags === undefined ? [] : Array.isArray(expose.tags) ? expose.tags : [expose.tags];
  return {
    ...jobView(job, scheduler, input.workspace, input.whereOf),
    ...(input.archived ? { nextFire: null } : {}),
    displayName: expose.display_name ?? null,
    timezone: job.timezone,
    tags,
    humanTriggers: job.declaredTriggers.map((t) => describeTrigger(t.raw, job.timezone)),
    upstreams: [
      ...job.followUps.map((t) => ({ key: t.jobRef, kind: t.type === "job.success" ? ("success" as const) : ("fail" as const) })),
      ...job.freshnessUpstreams.map((key) => ({ key, kind: "fresh" as const })),
    ],
    held: input.held,
    archived: input.archived,
  };
}
