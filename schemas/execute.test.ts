import { describe, expect, it } from "vitest";
import { resolveExecutionLimits } from "./execute.js";

describe("resolveExecutionLimits", () => {
  it("defaults a batch job to concurrency 1, 120 min timeout, 30 s grace", () => {
    expect(resolveExecutionLimits({ entry_point: { job_type: "batch" }, execute: {} })).toEqual({
      concurrency: 1,
      timeoutMs: 7_200_000,
      gracePeriodMs: 30_000,
      isIdleTimeout: false,
    });
  });

  it("defaults an interactive job to a 5 min idle timeout", () => {
    expect(resolveExecutionLimits({ entry_point: { job_type: "interactive" } })).toMatchObject({
      timeoutMs: 300_000,
      isIdleTimeout: true,
    });
  });

  it("reads explicit values, null concurrency meaning unlimited", () => {
    expect(
      resolveExecutionLimits({
        entry_point: { job_type: "batch" },
        execute: { concurrency: null, timeout: { timeout: 1800, grace_period: 60 } },
      }),
    ).toEqual({ concurrency: null, timeoutMs: 1_800_000, gracePeriodMs: 60_000, isIdleTimeout: false });
    expect(resolveExecutionLimits({ entry_point: { job_type: "batch" }, execute: { concurrency: 3, timeout: null } })).toMatchObject({
      concurrency: 3,
      timeoutMs: 7_200_000,
    });
  });
});
