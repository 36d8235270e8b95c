import { describe, expect, it } from "vitest";
import { canTransition, newRunRecord, transitionRun, type RunRecord } from "./run-state.js";

const run: RunRecord = { ...newRunRecord("jobs.mod.a", "manual:jobs.mod.a", "pending", "concurrency limit 1 reached", 0), runId: "run-1", number: 1 };

describe("run lifecycle", () => {
  it("walks pending → starting → running → completed and records since when", () => {
    const starting = transitionRun(run, "starting", 10);
    const running = transitionRun(starting, "running", 20, { startedMs: 20 });
    const done = transitionRun(running, "completed", 30, { exitCode: 0, finishedMs: 30 });
    expect([done.status, done.sinceMs, done.startedMs, done.exitCode]).toEqual(["completed", 30, 20, 0]);
  });

  it("starts a new record in its status since the given instant, with no window, exit or cancel cause", () => {
    expect(run).toMatchObject({ status: "pending", sinceMs: 0, createdMs: 0, startedMs: null, intervalStartMs: null, exitCode: null, cancelCause: null, refresh: false });
  });

  it("rejects illegal transitions naming the current state", () => {
    expect(() => transitionRun(run, "completed", 1)).toThrow(/cannot go from 'pending' to 'completed'/);
    const done = transitionRun(transitionRun(transitionRun(run, "starting", 1), "running", 2), "failed", 3);
    expect(() => transitionRun(done, "running", 4)).toThrow(/'failed'/);
    expect(canTransition("skipped", "starting")).toBe(false);
  });
});
