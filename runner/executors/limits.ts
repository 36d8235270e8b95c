/**
 * Time and resource limits of a run. Batch jobs get a wall-clock timeout (default 120 min);
 * for interactive jobs `execute.timeout` is an idle timeout (default 5 min) (scheduling.md §11).
 * `require.machine` names an entry of Sluice's machine table; unknown names fail the run.
 */
import { SluiceError } from "../../core/index.js";
import { DEFAULT_BATCH_TIMEOUT_MS, DEFAULT_GRACE_PERIOD_MS, DEFAULT_INTERACTIVE_IDLE_TIMEOUT_MS, resolveExecutionLimits } from "../../schemas/index.js";
import { isInteractive, type RunnableJob } from "./job-shape.js";

export { DEFAULT_BATCH_TIMEOUT_MS };
export const DEFAULT_IDLE_TIMEOUT_MS = DEFAULT_INTERACTIVE_IDLE_TIMEOUT_MS;
export const DEFAULT_GRACE_MS = DEFAULT_GRACE_PERIOD_MS;

export interface RunTimeLimits {
  /** Wall-clock limit of batch runs. */
  timeoutMs?: number;
  /** Idle limit of interactive services. */
  idleTimeoutMs?: number;
  graceMs: number;
}

/** The schema's defaults; a job counts as interactive by job type or by its launcher (marimo, MCP, …). */
export function runTimeLimits(job: RunnableJob): RunTimeLimits {
  const interactive = isInteractive(job);
  const limits = resolveExecutionLimits({ entry_point: { job_type: interactive ? "interactive" : "batch" }, execute: job.execute });
  if (interactive) return { idleTimeoutMs: limits.timeoutMs, graceMs: limits.gracePeriodMs };
  return { timeoutMs: limits.timeoutMs, graceMs: limits.gracePeriodMs };
}

export interface MachineSpec {
  /** CPUs (fractions allowed), e.g. 0.5. */
  cpus?: number;
  memoryMb?: number;
}

export type MachineTable = Readonly<Record<string, MachineSpec>>;

/** Limits for `require.machine`; the `default` entry (if any) applies when the job names none. */
export function machineLimits(job: RunnableJob, machines: MachineTable): MachineSpec {
  const name = job.require?.machine;
  if (name === undefined) return machines.default ?? {};
  const spec = machines[name];
  if (!spec) {
    const known = Object.keys(machines).sort();
    throw new SluiceError("unknown_machine", `Job ${job.job_ref} requires machine '${name}', which is not configured`, {
      hint: known.length > 0 ? `Configured machines: ${known.join(", ")}. Fix require.machine or add '${name}' to Sluice's machine table.` : "No machines are configured; remove require.machine or add a machine table to Sluice's config.",
      details: { job: job.job_ref, machine: name },
    });
  }
  return spec;
}
