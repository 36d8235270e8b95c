import { describe, expect, it } from "vitest";
import { canTransition, endedRun, newRunRecord, runningRun, skippedRun, startingRun, type QueuedRun, type StartingRun } from "./run-state.js";

const run: QueuedRun = { ...newRunRecord("jobs.mod.a", "manual:jobs.mod.a", "pending", "concurrency limit 1 reached", 0), runId: "run-1", number: 1 };
const ok = { exitCode: 0, reason: null, cancelCause: null };

describe("run lifecycle", () => {
  it("walks pending → starting → running → completed, recording since when, the start and the end", () => {
    const running = runningRun(startingRun(run, 10), 20);
    const done = endedRun(running, "completed", 30, ok);
    expect([done.status, done.sinceMs, done.startedMs, done.finishedMs, done.exitCode]).toEqual(["completed", 30, 20, 30, 0]);
  });

  it("starts a new record in its status since the given instant, with no window, exit or cancel cause", () => {
    expect(run).toMatchObject({ status: "pending", sinceMs: 0, createdMs: 0, startedMs: null, finishedMs: null, intervalStartMs: null, exitCode: null, cancelCause: null, refresh: false });
  });

  it("records the end of a run cancelled while queued, which never started", () => {
    const cancelled = endedRun(run, "cancelled", 5, { exitCode: null, reason: "cancelled by user", cancelCause: "user" });
    expect(cancelled).toMatchObject({ status: "cancelled", startedMs: null, finishedMs: 5, sinceMs: 5, cancelCause: "user" });
  });

  it("takes the window and reason a queued run starts or is skipped with", () => {
    const window = { intervalStartMs: 100, intervalEndMs: 200, reason: "window" };
    expect(startingRun(run, 1, window)).toMatchObject({ status: "starting", ...window });
    expect(skippedRun(run, 1, { reason: "held by freshness" })).toMatchObject({ status: "skipped", reason: "held by freshness", sinceMs: 1 });
  });

  it("rejects illegal transitions naming the current state, also for a record the types cannot catch (a stale stored one)", () => {
    expect(() => endedRun(run, "completed", 1, ok)).toThrow(/cannot go from 'pending' to 'completed'/);
    const running = runningRun(startingRun(run, 1), 2);
    expect(() => runningRun(running, 3)).toThrow(/cannot go from 'running' to 'running'/);
    const failed = endedRun(running, "failed", 3, { ...ok, exitCode: 1 });
    expect(() => runningRun(failed as unknown as StartingRun, 4)).toThrow(/'failed'/);
    expect(canTransition("skipped", "starting")).toBe(false);
  });
});
