import { describe, expect, it } from "vitest";
import { isSluiceError } from "../../core/index.js";
import type { RunnableJob } from "./job-shape.js";
import { DEFAULT_BATCH_TIMEOUT_MS, DEFAULT_GRACE_MS, DEFAULT_IDLE_TIMEOUT_MS, machineLimits, runTimeLimits } from "./limits.js";

const batch: RunnableJob = { job_ref: "jobs.a.b", entry_point: { module: "a", function: "b", job_type: "batch" } };
const interactive: RunnableJob = { job_ref: "jobs.nb", entry_point: { module: "nb", function: null, job_type: "interactive" } };

describe("runTimeLimits", () => {
  it("uses the defaults when execute.timeout is absent", () => {
    expect(runTimeLimits(batch)).toEqual({ timeoutMs: DEFAULT_BATCH_TIMEOUT_MS, graceMs: DEFAULT_GRACE_MS });
    expect(runTimeLimits(interactive)).toEqual({ idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS, graceMs: DEFAULT_GRACE_MS });
  });
  it("reads seconds from the manifest", () => {
    expect(runTimeLimits({ ...batch, execute: { timeout: { timeout: 90, grace_period: 5 } } })).toEqual({ timeoutMs: 90_000, graceMs: 5000 });
    expect(runTimeLimits({ ...interactive, execute: { timeout: { timeout: 600 } } })).toEqual({ idleTimeoutMs: 600_000, graceMs: DEFAULT_GRACE_MS });
  });
});

describe("machineLimits", () => {
  const machines = { default: { cpus: 1 }, small: { cpus: 0.5, memoryMb: 512 } };
  it("maps require.machine to the configured limits", () => {
    expect(machineLimits({ ...batch, require: { machine: "small" } }, machines)).toEqual({ cpus: 0.5, memoryMb: 512 });
    expect(machineLimits(batch, machines)).toEqual({ cpus: 1 });
  });
  it("fails clearly on unknown machine names", () => {
    try {
      machineLimits({ ...batch, require: { machine: "huge" } }, machines);
      expect.unreachable();
    } catch (error) {
      expect(isSluiceError(error) && error.code).toBe("unknown_machine");
      expect(String((error as Error).message)).toContain("'huge'");
      expect(isSluiceError(error) && error.hint).toContain("default, small");
    }
  });
});
