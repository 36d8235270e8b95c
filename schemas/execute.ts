/** Execution limits of a job with the runtime defaults (spec scheduling.md §11, manifest.md §3.3). */

export const DEFAULT_BATCH_TIMEOUT_MS = 120 * 60_000;
export const DEFAULT_INTERACTIVE_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_GRACE_PERIOD_MS = 30_000;

export interface ExecutionLimits {
  /** Max simultaneous runs; null = unlimited. */
  concurrency: number | null;
  timeoutMs: number;
  gracePeriodMs: number;
  /** Interactive jobs: the timeout counts idle time, not run time. */
  isIdleTimeout: boolean;
}

export interface ExecutableJob {
  entry_point: { job_type: string };
  execute?:
    | {
        concurrency?: number | null | undefined;
        timeout?: { timeout?: number | undefined; grace_period?: number | undefined } | null | undefined;
      }
    | undefined;
}

export function resolveExecutionLimits(job: ExecutableJob): ExecutionLimits {
  const interactive = job.entry_point.job_type === "interactive";
  const execute = job.execute ?? {};
  const concurrency = execute.concurrency === undefined ? 1 : execute.concurrency;
  const timeout = execute.timeout?.timeout;
  const grace = execute.timeout?.grace_period;
  return {
    concurrency,
    timeoutMs:
      timeout === undefined ? (interactive ? DEFAULT_INTERACTIVE_IDLE_TIMEOUT_MS : DEFAULT_BATCH_TIMEOUT_MS) : timeout * 1000,
    gracePeriodMs: grace === undefined ? DEFAULT_GRACE_PERIOD_MS : grace * 1000,
    isIdleTimeout: interactive,
  };
}
