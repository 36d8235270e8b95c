import { describe, expect, it } from "vitest";
import { canTransition, transitionRun, type RunRecord } from "./run-state.js";

const run: RunRecord = {
  runId: "run-1",
  jobRef: "jobs.mod.a",
  trigger: "manual:jobs.mod.a",
  status: "pending",
  reason: "concurrency limit 1 reached",
  sinceMs: 0,
  createdMs: 0,
  startedMs: null,
  finishedMs: null,
  intervalStartMs: null,
  intervalEndMs: null,
  refresh: false,
  exitCode: null,
  cancelCause: null,
  deploymentVersion: null,
};

describe("run lifecycle", () => {
  it("walks pending → starting → running → completed and records since when", () => {
    const starting = transitionRun(run, "starting", 10);
    const running = transitionRun(starting, "running", 20, { startedMs: 20 });
    const done = transitionRun(running, "completed", 30, { exitCode: 0, finishedMs: 30 });
    expect([done.status, done.sinceMs, done.startedMs, done.exitCode]).toEqual(["completed", 30, 20, 0]);
  });

  it("rejects illegal transitions naming the current state", () => {
    expect(() => transitionRun(run, "completed", 1)).toThrow(/cannot go from 'pending' to 'completed'/);
    const done = transitionRun(transitionRun(transitionRun(run, "starting", 1), "running", 2), "failed", 3);
    expect(() => transitionRun(done, "running", 4)).toThrow(/'failed'/);
    expect(canTransition("skipped", "starting")).toBe(false);
  });
});
