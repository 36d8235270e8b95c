import { describe, expect, it } from "vitest";
import { classifyExit, followUpEvent, type ExitContext } from "./run-outcome.js";

const ctx: ExitContext = { wasRunning: true, timedOut: false, cancelCause: null, timeoutMs: 60_000, gracePeriodMs: 30_000, reason: null };

describe("run outcome", () => {
  it("maps exits to status, reason and follow-up event", () => {
    const cases = [
      [{ exitCode: 0, killed: false }, ctx, "completed", "job.success:jobs.a.b"],
      [{ exitCode: 2, killed: false }, ctx, "failed", "job.fail:jobs.a.b"],
      [{ exitCode: null, killed: true }, { ...ctx, timedOut: true }, "cancelled", "job.fail:jobs.a.b"],
      [{ exitCode: 0, killed: false }, { ...ctx, timedOut: true }, "completed", "job.success:jobs.a.b"],
      [{ exitCode: null, killed: true }, { ...ctx, cancelCause: "user" }, "cancelled", null],
      [{ exitCode: null, killed: true }, { ...ctx, cancelCause: "runtime" }, "cancelled", "job.fail:jobs.a.b"],
      [{ exitCode: 0, killed: false }, { ...ctx, wasRunning: false }, "failed", "job.fail:jobs.a.b"],
      // a user cancel is a cancel even when the process exits 0 on SIGTERM: no job.success
      [{ exitCode: 0, killed: false }, { ...ctx, cancelCause: "user" }, "cancelled", null],
      // an idle stop ends an interactive service normally, without follow-ups
      [{ exitCode: 143, killed: false }, { ...ctx, cancelCause: "idle" }, "completed", null],
    ] as const;
    for (const [exit, context, status, event] of cases) {
      const classified = classifyExit(exit, context);
      expect([classified.status, followUpEvent("jobs.a.b", classified)]).toEqual([status, event]);
    }
    expect(classifyExit({ exitCode: null, killed: true }, { ...ctx, timedOut: true }).reason).toBe("timed out after 1m; killed after grace period 30s");
  });
});
