import { describe, expect, it } from "vitest";
import { classifyExit } from "../scheduler/run-outcome.js";
import { mapRunOutcome, type StopCause } from "./outcome.js";

describe("mapRunOutcome", () => {
  it("maps exit codes of runs nobody stopped", () => {
    expect(mapRunOutcome({ exitCode: 0 }).status).toBe("completed");
    expect(mapRunOutcome({ exitCode: 1 })).toEqual({ status: "failed", reason: "exit code 1", cancelCause: null });
    expect(mapRunOutcome({ exitCode: null, signal: "SIGKILL" }).reason).toBe("killed by signal SIGKILL");
    expect(mapRunOutcome({ exitCode: 137 }).reason).toMatch(/out of memory/);
  });

  it("counts a clean exit within grace after a timeout as completed, anything else as cancelled(timeout)", () => {
    expect(mapRunOutcome({ exitCode: 0 }, "timeout").status).toBe("completed");
    expect(mapRunOutcome({ exitCode: 1 }, "timeout")).toEqual({ status: "cancelled", reason: "timeout", cancelCause: "timeout" });
    expect(mapRunOutcome({ exitCode: null, signal: "SIGKILL" }, "timeout").status).toBe("cancelled");
  });

  it("always cancels on a user cancel, even after a clean exit", () => {
    expect(mapRunOutcome({ exitCode: 0 }, "user")).toEqual({ status: "cancelled", reason: "cancelled by user", cancelCause: "user" });
  });

  it("gives the same status as the scheduler for every exit code and stop cause", () => {
    let compared = 0;
    for (const exitCode of [0, 1, 137, 143, null]) {
      for (const stop of [undefined, "timeout", "user", "runtime", "idle"] as const) {
        const executor = mapRunOutcome({ exitCode }, stop as StopCause | undefined);
        const scheduler = classifyExit(
          { exitCode, killed: exitCode === null },
          { wasRunning: true, timedOut: stop === "timeout", cancelCause: stop === undefined || stop === "timeout" ? null : stop, timeoutMs: 60_000, gracePeriodMs: 30_000, reason: null },
        );
        expect(executor.status, `exit ${String(exitCode)}, stop ${String(stop)}`).toBe(scheduler.status);
        compared++;
      }
    }
    expect(compared).toBe(25);
  });
});
