/**
 * The schema helpers and pure time maths the scheduler consumes, in one place so the
 * rest of the folder does not care where they live.
 */
export { computeDefaultTrigger, expandTriggers } from "../../schemas/trigger-expand.js";
export { parseTrigger } from "../../schemas/triggers.js";
export { resolveJobRef } from "../../schemas/job-ref.js";
export { selectJobs, type SelectableJob } from "../../schemas/selectors.js";
export { checkUpstreamFresh, computeRunWindow, nextFireTime, refreshCascadeTargets } from "./time/index.js";

export interface ExecutionLimits {
  concurrency: number | null;
  timeoutMs: number;
  gracePeriodMs: number;
  isIdleTimeout: boolean;
}

/** Interim copy until schemas exports resolveExecutionLimits (spec §11 defaults). */
export function resolveExecutionLimits(job: Record<string, unknown>): ExecutionLimits {
  const execute = (job.execute as Record<string, unknown> | undefined) ?? {};
  const interactive = (job.entry_point as { job_type?: string } | undefined)?.job_type === "interactive";
  const timeout = execute.timeout as { timeout?: number; grace_period?: number } | number | undefined;
  const seconds = typeof timeout === "number" ? timeout : timeout?.timeout;
  const grace = typeof timeout === "object" ? timeout.grace_period : undefined;
  const concurrency = "concurrency" in execute ? (execute.concurrency as number | null) : 1;
  return {
    concurrency,
    timeoutMs: (seconds ?? (interactive ? 300 : 7200)) * 1000,
    gracePeriodMs: (grace ?? 30) * 1000,
    isIdleTimeout: interactive,
  };
}
