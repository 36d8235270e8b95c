/**
 * The runtime entry point handed to dlt's launcher (launcher.md §1–2): the manifest's
 * `entry_point` plus the keys only the runtime knows (window, profile, refresh, config, run args).
 */
import { isInteractive, Launcher, launcherOf, type RunnableJob } from "./job-shape.js";

export interface RunArgs {
  port?: number;
  base_path?: string;
}

export interface RuntimeEntryPoint {
  module: string;
  function: string | null;
  job_type: string;
  launcher: string;
  profile: string;
  run_args?: RunArgs;
  interval_start?: string;
  interval_end?: string;
  interval_timezone?: string;
  allow_external_schedulers?: boolean;
  refresh?: boolean;
  config?: Record<string, unknown>;
  intercept_signals?: boolean;
}

/** What the runtime decided for one run. */
export interface RunInputs {
  runId: string;
  trigger: string;
  profile: string;
  refresh: boolean;
  /** Half-open window `[startMs, endMs)`; absent for runs without one (interactive services). */
  interval?: { startMs: number; endMs: number };
  /** Per-run config overrides (`entry_point.config`). */
  config?: Record<string, unknown>;
  runArgs?: RunArgs;
}

export function buildRuntimeEntryPoint(job: RunnableJob, run: RunInputs): RuntimeEntryPoint {
  const source = job.entry_point;
  const launcher = launcherOf(source);
  const entryPoint: RuntimeEntryPoint = {
    module: source.module,
    function: source.function ?? null,
    job_type: source.job_type ?? (isInteractive(job) ? "interactive" : "batch"),
    launcher,
    profile: run.profile,
  };
  if (run.runArgs && Object.keys(run.runArgs).length > 0) entryPoint.run_args = { ...run.runArgs };
  // Window and refresh go to every function-job run; only the job launcher reads them (launcher.md §2).
  if (entryPoint.function) {
    if (run.interval) {
      entryPoint.interval_start = pythonIsoUtc(run.interval.startMs);
      entryPoint.interval_end = pythonIsoUtc(run.interval.endMs);
      entryPoint.interval_timezone = job.require?.timezone ?? "UTC";
      entryPoint.allow_external_schedulers = job.allow_external_schedulers ?? false;
    }
    entryPoint.refresh = run.refresh;
  }
  if (run.config && Object.keys(run.config).length > 0) entryPoint.config = { ...run.config };
  if (job.execute?.intercept_signals !== undefined) entryPoint.intercept_signals = job.execute.intercept_signals;
  return entryPoint;
}

/** `python -m <launcher> --run-id … --trigger … --entry-point <json>`, one argv element each (no shell). */
export function launcherArgv(python: string, entryPoint: RuntimeEntryPoint, run: Pick<RunInputs, "runId" | "trigger">): string[] {
  return [python, "-m", entryPoint.launcher, "--run-id", run.runId, "--trigger", run.trigger, "--entry-point", JSON.stringify(entryPoint)];
}

/**
 * Interval variables dlt's interval context picks up in any process. The job launcher sets them
 * itself; for plain module jobs Sluice sets them so `dlt.current.interval()` works there too
 * (DECISION, launcher.md §4).
 */
export function intervalEnv(job: RunnableJob, run: RunInputs): Record<string, string> {
  if (!run.interval || launcherOf(job.entry_point) !== Launcher.module) return {};
  return {
    DLT_INTERVAL_START: pythonIsoUtc(run.interval.startMs),
    DLT_INTERVAL_END: pythonIsoUtc(run.interval.endMs),
    DLT_INTERVAL_TIMEZONE: job.require?.timezone ?? "UTC",
  };
}

/** Python's `datetime.isoformat()` of a UTC instant: `2026-05-26T03:00:00+00:00`, microseconds only when non-zero. */
export function pythonIsoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  const seconds = iso.slice(0, 19);
  const millis = ms - Math.floor(ms / 1000) * 1000;
  return millis === 0 ? `${seconds}+00:00` : `${seconds}.${String(millis).padStart(3, "0")}000+00:00`;
}
