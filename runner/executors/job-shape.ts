/**
 * The parts of a manifest job (manifest.md §3) that running it needs. Structural on purpose:
 * the scheduler hands jobs over as plain objects, and any manifest `Job` type satisfies it.
 */
import { LAUNCHERS, launcherFor } from "../../schemas/index.js";

export interface EntryPointSpec {
  module: string;
  function?: string | null;
  job_type?: string;
  launcher?: string;
}

export interface RunnableJob {
  job_ref: string;
  entry_point: EntryPointSpec;
  execute?: {
    timeout?: { timeout?: number; grace_period?: number };
    intercept_signals?: boolean;
  };
  require?: {
    dependency_groups?: string[];
    profile?: string;
    machine?: string;
    timezone?: string;
  };
  interval?: { start: string; end?: string };
  allow_external_schedulers?: boolean;
}

/** dlt's launcher modules, by short name (one list, kept in schemas/). */
export const Launcher = LAUNCHERS;

/** `entry_point.launcher`, or what dlt's own runners fall back to when it is missing (launcher.md §1). */
export function launcherOf(entryPoint: EntryPointSpec): string {
  return launcherFor(entryPoint);
}

const INTERACTIVE_LAUNCHERS: ReadonlySet<string> = new Set([Launcher.marimo, Launcher.mcp, Launcher.streamlit, Launcher.dashboard]);

/** Interactive jobs are long-lived services reached through the proxy (`@run.interactive`, marimo, MCP, …). */
export function isInteractive(job: RunnableJob): boolean {
  return job.entry_point.job_type === "interactive" || INTERACTIVE_LAUNCHERS.has(launcherOf(job.entry_point));
}

/** Reads a job handed over as an untyped object; throws when the fields needed to run it are missing. */
export function asRunnableJob(value: Readonly<Record<string, unknown>>): RunnableJob {
  const entryPoint = value.entry_point as Partial<EntryPointSpec> | undefined;
  if (typeof value.job_ref !== "string" || !entryPoint || typeof entryPoint.module !== "string") {
    throw new TypeError("job definition needs job_ref and entry_point.module");
  }
  return value as unknown as RunnableJob;
}
