/**
 * Turns scheduler events into the flat decision records of `sluice simulate --output json`
 * (a stable contract: field names and event words never change meaning).
 */
import type { RunRecord } from "./run-state.js";
import type { Scheduler } from "./engine.js";
import type { RunOutcome } from "./scheduler-events.js";
import { shortJobName } from "./compiled-job.js";
import { iso } from "./format.js";

export const DECISION_EVENTS = ["started", "skipped", "queued", "succeeded", "failed", "timed_out"] as const;
export type DecisionEvent = (typeof DECISION_EVENTS)[number];

export interface DecisionRecord {
  at: string;
  job: string;
  job_ref: string;
  event: DecisionEvent;
  trigger: string;
  interval_start: string | null;
  interval_end: string | null;
  refresh: boolean;
  reason: string | null;
}

function toRecord(run: RunRecord, event: DecisionEvent, atMs: number): DecisionRecord {
  return {
    at: iso(atMs),
    job: shortJobName(run.jobRef),
    job_ref: run.jobRef,
    event,
    trigger: run.trigger,
    interval_start: run.intervalStartMs === null ? null : iso(run.intervalStartMs),
    interval_end: run.intervalEndMs === null ? null : iso(run.intervalEndMs),
    refresh: run.refresh,
    reason: run.reason,
  };
}

const OUTCOME_EVENT: Record<RunOutcome, DecisionEvent> = {
  succeeded: "succeeded",
  failed: "failed",
  timed_out: "timed_out",
  cancelled: "failed",
};

/** Subscribes to `scheduler` and appends a record per decision; returns the live array and an unsubscribe. */
export function recordDecisions(
  scheduler: Scheduler,
  records: DecisionRecord[] = [],
): { records: DecisionRecord[]; stop: () => void } {
  const offs = [
    scheduler.events.on("run:queued", ({ run }) => records.push(toRecord(run, "queued", run.sinceMs))),
    scheduler.events.on("run:skipped", ({ run }) => records.push(toRecord(run, "skipped", run.sinceMs))),
    scheduler.events.on("run:started", ({ run }) => records.push(toRecord(run, "started", run.startedMs))),
    scheduler.events.on("run:finished", ({ run, outcome }) =>
      records.push(toRecord(run, OUTCOME_EVENT[outcome], run.finishedMs)),
    ),
  ];
  return { records, stop: () => offs.forEach((off) => off()) };
}
