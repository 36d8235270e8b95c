import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../core/index.js";
import { endedRun, newRunRecord, runningRun, startingRun } from "../run-state.js";
import { SchedulerStore } from "./scheduler-store.js";

const fresh = () => {
  const db = openDatabase(":memory:");
  return { db, store: new SchedulerStore(db) };
};

describe("scheduler store: run records by status", () => {
  it("reads back each status with the fields that status sets", () => {
    const { store } = fresh();
    const queued = store.insertRun({ ...newRunRecord("ws/a", "manual:ws/a", "pending", "limit", 1) });
    const skipped = store.insertRun({ ...newRunRecord("ws/a", "manual:ws/a", "skipped", "coalesced", 2) });
    const running = runningRun(startingRun(queued, 3), 4);
    store.updateRun(running);
    expect(store.getRun(running.runId)).toEqual(running);
    expect(store.getRun(skipped.runId)).toEqual(skipped);
    const failed = endedRun(running, "failed", 9, { exitCode: 3, reason: "exit code 3", cancelCause: null });
    store.updateRun(failed);
    expect(store.getRun(failed.runId)).toEqual(failed);
    expect(store.openRuns()).toEqual([]);
  });

  it("reads a row written before records were typed by status: a missing start or end is the instant its status was entered", () => {
    const { db, store } = fresh();
    const a = store.insertRun({ ...newRunRecord("ws/a", "manual:ws/a", "pending", null, 1) });
    const b = store.insertRun({ ...newRunRecord("ws/b", "manual:ws/b", "pending", null, 1) });
    db.prepare("UPDATE sched_runs SET status = 'cancelled', since_ms = 7, finished_ms = NULL, cancel_cause = 'user' WHERE run_id = ?").run(a.runId);
    db.prepare("UPDATE sched_runs SET status = 'running', since_ms = 8, started_ms = NULL WHERE run_id = ?").run(b.runId);
    expect(store.getRun(a.runId)).toMatchObject({ status: "cancelled", startedMs: null, finishedMs: 7, cancelCause: "user" });
    expect(store.getRun(b.runId)).toMatchObject({ status: "running", startedMs: 8, finishedMs: null });
  });

  it("refuses a row with a status it does not know, naming the run and the known ones", () => {
    const { db, store } = fresh();
    const a = store.insertRun({ ...newRunRecord("ws/a", "manual:ws/a", "pending", null, 1) });
    db.prepare("UPDATE sched_runs SET status = 'paused' WHERE run_id = ?").run(a.runId);
    expect(() => store.getRun(a.runId)).toThrow(`Run ${a.runId} has the unknown status 'paused'.`);
  });
});
