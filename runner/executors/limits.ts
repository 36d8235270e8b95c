/**
 * Time and resource limits of a run. Batch jobs get a wall-clock timeout (default 120 min);
 * for interactive jobs `execute.timeout` is an idle timeout (default 5 min) (scheduling.md §11).
 * `require.machine` names an entry of Sluice's machine table; unknown names fail the run.
 */
import { SluiceError } from "../../core/index.js";
import { isInteractive, type RunnableJob } from "./job-shape.js";

export const DEFAULT_BATCH_TIMEOUT_MS = 120 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_GRACE_MS = 30_000;

export interface RunTimeLimits {
  /** Wall-clock limit of batch runs. */
  timeoutMs?: number;
  /** Idle limit of interactive services. */
  idleTimeoutMs?: number;
  graceMs: number;
}

export function runTimeLimits(job: RunnableJob): RunTimeLimits {
  const declared = job.execute?.timeout;
  const seconds = typeof declared?.timeout === "number" && declared.timeout > 0 ? declared.timeout * 1000 : undefined;
  const grace = typeof declared?.grace_period === "number" && declared.grace_period >= 0 ? declared.grace_period * 1000 : DEFAULT_GRACE_MS;
  if (isInteractive(job)) return { idleTimeoutMs: seconds ?? DEFAULT_IDLE_TIMEOUT_MS, graceMs: grace };
  return { timeoutMs: seconds ?? DEFAULT_BATCH_TIMEOUT_MS, graceMs: grace };
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
