import { describe, expect, it } from "vitest";
import { RuntimeEntryPoint, launcherFor } from "./entry-point.js";
import { LAUNCHERS } from "./launchers.js";

describe("RuntimeEntryPoint", () => {
  it("accepts the launcher.md §2 keys", () => {
    const value = {
      module: "usgs_pipeline",
      function: "usgs_daily",
      job_type: "batch",
      launcher: LAUNCHERS.job,
      run_args: { port: 8080, base_path: "/ws/1/nb" },
      interval_start: "2026-05-26T03:00:00+00:00",
      interval_end: "2026-05-27T03:00:00+00:00",
      interval_timezone: "Europe/Berlin",
      allow_external_schedulers: false,
      profile: "prod",
      config: { epoch: "x" },
      refresh: true,
      intercept_signals: false,
    };
    expect(RuntimeEntryPoint.parse(value)).toEqual(value);
  });

  it("rejects a bad port and a missing function key", () => {
    expect(RuntimeEntryPoint.safeParse({ module: "m", function: null, job_type: "interactive", launcher: LAUNCHERS.marimo, run_args: { port: 0 } }).success).toBe(false);
    expect(RuntimeEntryPoint.safeParse({ module: "m", job_type: "batch", launcher: LAUNCHERS.module }).success).toBe(false);
  });
});

describe("launcherFor", () => {
  it("keeps a declared launcher and falls back to job / module", () => {
    expect(launcherFor({ function: null, launcher: LAUNCHERS.marimo })).toBe(LAUNCHERS.marimo);
    expect(launcherFor({ function: "fn" })).toBe(LAUNCHERS.job);
    expect(launcherFor({ function: null })).toBe(LAUNCHERS.module);
  });
});
