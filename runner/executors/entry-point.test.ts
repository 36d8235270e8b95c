import { describe, expect, it } from "vitest";
import { RuntimeEntryPoint } from "../../schemas/index.js";
import { buildRuntimeEntryPoint, intervalEnv, launcherArgv, pythonIsoUtc } from "./entry-point.js";
import { Launcher, type RunnableJob } from "./job-shape.js";

const batchJob: RunnableJob = {
  job_ref: "jobs.usgs_pipeline.usgs_daily",
  entry_point: { module: "usgs_pipeline", function: "usgs_daily", job_type: "batch", launcher: Launcher.job },
  require: { timezone: "Europe/Berlin" },
};

const window = { startMs: Date.parse("2026-05-25T03:00:00Z"), endMs: Date.parse("2026-05-26T03:00:00Z") };

describe("buildRuntimeEntryPoint", () => {
  it("fills window, zone, refresh and profile for a function job", () => {
    const entryPoint = buildRuntimeEntryPoint(batchJob, { runId: "r1", trigger: "schedule:0 3 * * *", profile: "prod", refresh: true, interval: window });
    expect(entryPoint).toEqual({
      module: "usgs_pipeline",
      function: "usgs_daily",
      job_type: "batch",
      launcher: Launcher.job,
      profile: "prod",
      interval_start: "2026-05-25T03:00:00+00:00",
      interval_end: "2026-05-26T03:00:00+00:00",
      interval_timezone: "Europe/Berlin",
      allow_external_schedulers: false,
      refresh: true,
    });
    expect(RuntimeEntryPoint.safeParse(entryPoint).success).toBe(true);
  });

  it("passes run args, config and intercept_signals only when present", () => {
    const job: RunnableJob = {
      job_ref: "jobs.nb.notebook",
      entry_point: { module: "nb", function: null, job_type: "interactive", launcher: Launcher.marimo },
      execute: { intercept_signals: false },
    };
    const entryPoint = buildRuntimeEntryPoint(job, {
      runId: "r2",
      trigger: "http:",
      profile: "access",
      refresh: false,
      interval: window,
      config: { epoch: "2026-04-05" },
      runArgs: { port: 8123, base_path: "/w/ws/notebook" },
    });
    expect(entryPoint).toEqual({
      module: "nb",
      function: null,
      job_type: "interactive",
      launcher: Launcher.marimo,
      profile: "access",
      run_args: { port: 8123, base_path: "/w/ws/notebook" },
      config: { epoch: "2026-04-05" },
      intercept_signals: false,
    });
  });

  it("falls back to the job or module launcher when the manifest has none", () => {
    const fn = buildRuntimeEntryPoint({ job_ref: "a", entry_point: { module: "m", function: "f" } }, { runId: "r", trigger: "manual:a", profile: "prod", refresh: false });
    const mod = buildRuntimeEntryPoint({ job_ref: "b", entry_point: { module: "m" } }, { runId: "r", trigger: "manual:b", profile: "prod", refresh: false });
    expect(fn.launcher).toBe(Launcher.job);
    expect(mod.launcher).toBe(Launcher.module);
    expect(mod.function).toBeNull();
  });
});

describe("launcherArgv", () => {
  it("puts the entry point JSON in one argv element", () => {
    const entryPoint = buildRuntimeEntryPoint(batchJob, { runId: "r1", trigger: "tag:a b", profile: "prod", refresh: false, interval: window });
    const argv = launcherArgv("/opt/venv/bin/python", entryPoint, { runId: "r1", trigger: "tag:a b" });
    expect(argv.slice(0, 7)).toEqual(["/opt/venv/bin/python", "-m", Launcher.job, "--run-id", "r1", "--trigger", "tag:a b"]);
    expect(argv[7]).toBe("--entry-point");
    expect(JSON.parse(argv[8] ?? "")).toEqual(entryPoint);
    expect(argv).toHaveLength(9);
  });
});

describe("intervalEnv", () => {
  it("gives plain module jobs the DLT_INTERVAL_* variables, not function jobs", () => {
    const moduleJob: RunnableJob = { job_ref: "jobs.script", entry_point: { module: "script", function: null, launcher: Launcher.module } };
    const run = { runId: "r", trigger: "every:1h", profile: "prod", refresh: false, interval: window };
    expect(intervalEnv(moduleJob, run)).toEqual({
      DLT_INTERVAL_START: "2026-05-25T03:00:00+00:00",
      DLT_INTERVAL_END: "2026-05-26T03:00:00+00:00",
      DLT_INTERVAL_TIMEZONE: "UTC",
    });
    expect(intervalEnv(batchJob, run)).toEqual({});
  });
});

describe("pythonIsoUtc", () => {
  it("matches Python's isoformat with and without sub-second parts", () => {
    expect(pythonIsoUtc(Date.parse("2026-05-26T03:00:00Z"))).toBe("2026-05-26T03:00:00+00:00");
    expect(pythonIsoUtc(Date.parse("2026-05-26T03:00:00.200Z"))).toBe("2026-05-26T03:00:00.200000+00:00");
  });
});
